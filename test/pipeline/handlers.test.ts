// One block per pipeline handler: the post before, the headers/body after.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import cleanse from "../../src/pipeline/handlers/cleanse.js";
import cookHeaders, { prefixedSubject } from "../../src/pipeline/handlers/cook-headers.js";
import decorateHandler from "../../src/pipeline/handlers/decorate.js";
import dmarc from "../../src/pipeline/handlers/dmarc.js";
import rfc2369 from "../../src/pipeline/handlers/rfc-2369.js";
import toArchive from "../../src/pipeline/handlers/to-archive.js";
import toOutgoing from "../../src/pipeline/handlers/to-outgoing.js";
import { POSTING_PIPELINE } from "../../src/pipeline/pipeline.js";
import { RawMessage } from "../../src/domain/raw-message.js";
import { fixture, makeList, makeMember, message, post } from "./helpers.js";

describe("cleanse", () => {
  it("removes Approved, receipt requests and Urgent, keeps the rest byte for byte", () => {
    const p = post(fixture("plain-text"));
    cleanse.process(p);
    for (const h of ["Approved", "Return-Receipt-To"]) assert.equal(p.msg.has(h), false, h);
    const out = p.msg.toBuffer().toString("latin1");
    assert.match(out, /DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel;\r\n\th=from:to:subject; bh=abc=; b=def=\r\n/);
    assert.ok(out.endsWith("\r\n\r\nHello list,\r\nthis is plain text.\r\n"));
  });
  it("hides the poster on an anonymous list", () => {
    const p = post(message(["From: anne@example.com", "Reply-To: anne@home.example", "Sender: anne@example.com"]), { list: makeList({ anonymousList: true }) });
    cleanse.process(p);
    assert.deepEqual(p.msg.addresses("From").map((a) => a.address), ["test@example.com"]);
    assert.equal(p.msg.get("Reply-To"), "test@example.com");
    assert.equal(p.msg.has("Sender"), false);
  });
});

describe("dmarc", () => {
  it("munge_from: From via the list, original in Reply-To", () => {
    const p = post(fixture("dmarc-reject-from"));
    p.ctx.dmarc = "munge_from";
    dmarc.process(p);
    assert.equal(p.msg.get("From"), "Dee Marc via Test <test@example.com>");
    assert.deepEqual(p.msg.addresses("Reply-To").map((a) => a.address), ["dee@strict.example", "other@strict.example"]);
  });
  it("munge_from on a reply-to-list list puts the original From in Cc", () => {
    const p = post(fixture("dmarc-reject-from"), { list: makeList({ replyGoesToList: "point_to_list" }) });
    p.ctx.dmarc = "munge_from";
    dmarc.process(p);
    assert.ok(p.msg.addresses("Cc").some((a) => a.address === "dee@strict.example"));
  });
  it("wrap_message: the original travels as message/rfc822", () => {
    const raw = fixture("dmarc-reject-from");
    const p = post(raw);
    p.ctx.dmarc = "wrap_message";
    dmarc.process(p);
    assert.equal(p.msg.get("Content-Type"), "message/rfc822");
    assert.equal(p.msg.get("Subject"), "From a p=reject domain");
    assert.deepEqual(p.msg.body, raw);
  });
  it("a decoded display name with CR/LF injects no header line", () => {
    const evil = "From: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40x?= <e@evil.example>";
    for (const list of [makeList(), makeList({ replyGoesToList: "point_to_list" })]) {
      const p = post(message([evil, "Reply-To: =?utf-8?q?R=0D=0ABcc=3A_victim=40x?= <r@evil.example>"]), { list });
      p.ctx.dmarc = "munge_from";
      dmarc.process(p);
      assert.equal(p.msg.getAll("Bcc").length, 0);
      assert.doesNotMatch(p.msg.headerBytes().toString("latin1"), /\nBcc:/i);
    }
  });
  it("does nothing when the rule did not ask", () => {
    const p = post(fixture("dmarc-reject-from"));
    dmarc.process(p);
    assert.equal(p.msg.get("From"), "Dee Marc <dee@strict.example>");
  });
});

describe("cook-headers subject prefix", () => {
  const cases: [string, string, string][] = [
    ["Hello", "[Test] ", "[Test] Hello"],
    ["Re: Hello", "[Test] ", "[Test] Re: Hello"],
    ["Re: [Test] Hello", "[Test] ", "[Test] Re: Hello"],
    ["[Test] Re: Re: Hello", "[Test] ", "[Test] Re: Hello"],
    ["AW: [Test] Re: Hello", "[Test] ", "[Test] Re: Hello"],
    ["[Test] Hello", "[Test] ", "[Test] Hello"],
    ["", "[Test] ", "[Test] (no subject)"],
    ["Re: [Test 41] Hello", "[Test %d] ", "[Test 42] Re: Hello"],
    ["Hello", "", "Hello"],
  ];
  for (const [subject, prefix, expected] of cases) {
    it(`${JSON.stringify(subject)} with ${JSON.stringify(prefix)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(prefixedSubject(subject, prefix, 42), expected);
    });
  }
  it("encodes a non-ASCII subject", () => {
    const p = post(message(["From: a@x.org", "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?="]));
    cookHeaders.process(p);
    assert.equal(p.msg.get("Subject"), "[Test] Grüße");
    assert.match(p.msg.toBuffer().toString("latin1"), /^Subject: \[Test\] =\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe\?=\r$/m);
  });
});

describe("cook-headers headers", () => {
  const replyTo = (over: Parameters<typeof makeList>[0], headers: string[] = ["From: a@x.org"]) => {
    const p = post(message(headers), { list: makeList(over) });
    cookHeaders.process(p);
    return p.msg.get("Reply-To");
  };
  it("adds X-BeenThere and Precedence: list", () => {
    const p = post(fixture("plain-text"));
    cookHeaders.process(p);
    assert.equal(p.msg.get("X-BeenThere"), "test@example.com");
    assert.equal(p.msg.get("Precedence"), "list");
  });
  it("keeps an existing Precedence", () => {
    const p = post(message(["From: a@x.org", "Precedence: bulk"]));
    cookHeaders.process(p);
    assert.deepEqual(p.msg.getAll("Precedence"), ["bulk"]);
  });
  it("a decoded Reply-To display name with CR/LF injects no header line", () => {
    const p = post(message(["From: a@x.org", "Reply-To: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40x?= <e@evil.example>"]), { list: makeList({ replyGoesToList: "point_to_list" }) });
    cookHeaders.process(p);
    assert.equal(p.msg.getAll("Bcc").length, 0);
    assert.doesNotMatch(p.msg.headerBytes().toString("latin1"), /\nBcc:/i);
  });
  it("no_munging leaves Reply-To alone", () => assert.equal(replyTo({}, ["From: a@x.org", "Reply-To: r@x.org"]), "r@x.org"));
  it("point_to_list sets the list", () => assert.equal(replyTo({ replyGoesToList: "point_to_list" }), "Test <test@example.com>"));
  it("point_to_list keeps the poster's Reply-To after the list", () =>
    assert.equal(replyTo({ replyGoesToList: "point_to_list" }, ["From: a@x.org", "Reply-To: r@x.org"]), "Test <test@example.com>, r@x.org"));
  it("firstStripReplyTo drops the poster's", () =>
    assert.equal(replyTo({ replyGoesToList: "point_to_list", firstStripReplyTo: true }, ["From: a@x.org", "Reply-To: r@x.org"]), "Test <test@example.com>"));
  it("explicit_header uses replyToAddress", () =>
    assert.equal(replyTo({ replyGoesToList: "explicit_header", replyToAddress: "talk@example.com" }), "talk@example.com"));
  it("explicit_header_only replaces the poster's", () =>
    assert.equal(replyTo({ replyGoesToList: "explicit_header_only", replyToAddress: "talk@example.com" }, ["From: a@x.org", "Reply-To: r@x.org"]), "talk@example.com"));
});

describe("rfc-2369", () => {
  it("adds List-Id and the RFC 2369 links, replacing upstream ones", () => {
    const p = post(message(["From: a@x.org", "List-Id: Other <other.example.net>", "List-Post: <mailto:other@example.net>"]));
    rfc2369.process(p);
    const h = (n: string) => p.msg.getAll(n);
    assert.deepEqual(h("List-Id"), ["Test <test.example.com>"]);
    assert.deepEqual(h("List-Post"), ["<mailto:test@example.com>"]);
    assert.deepEqual(h("List-Help"), ["<mailto:test-request@example.com?subject=help>"]);
    assert.deepEqual(h("List-Subscribe"), ["<mailto:test-join@example.com>"]);
    assert.deepEqual(h("List-Unsubscribe"), ["<mailto:test-leave@example.com>"]);
    assert.deepEqual(h("List-Owner"), ["<mailto:test-owner@example.com>"]);
    assert.deepEqual(h("Message-ID-Hash"), ["HASH"]);
  });
  it("quotes a display name that needs it and says NO when posting is closed", () => {
    const p = post(message(["From: a@x.org"]), { list: makeList({ displayName: "Test, the list", allowListPosts: false }) });
    rfc2369.process(p);
    assert.equal(p.msg.get("List-Id"), '"Test, the list" <test.example.com>');
    assert.equal(p.msg.get("List-Post"), "NO");
  });
  it("List-Archive and Archived-At for each archiver that holds the post, in its order", () => {
    const archive = {
      archivers: ["hyperkitty" as const, "prototype" as const],
      links: [
        { archiver: "hyperkitty" as const, listUrl: "https://hk.example/list/test@example.com/", permalink: "https://hk.example/list/test@example.com/message/HASH/" },
        { archiver: "prototype" as const, listUrl: "https://lists.example/lists/test.example.com/archive", permalink: "https://lists.example/lists/test.example.com/archive/messages/HASH" },
      ],
    };
    const p = post(message(["From: a@x.org", "List-Archive: <https://upstream.example/>", "Archived-At: <https://upstream.example/1>"]), { archive });
    rfc2369.process(p);
    assert.deepEqual(p.msg.getAll("List-Archive"), ["<https://hk.example/list/test@example.com/>", "<https://lists.example/lists/test.example.com/archive>"]);
    assert.deepEqual(p.msg.getAll("Archived-At"), ["<https://hk.example/list/test@example.com/message/HASH/>", "<https://lists.example/lists/test.example.com/archive/messages/HASH>"]);
  });
  it("no archive headers when no archiver gives a URL, and no Archived-At for a post that asked not to be archived", () => {
    const none = post(message(["From: a@x.org", "List-Archive: <https://upstream.example/>"]), { archive: { archivers: [], links: [] } });
    rfc2369.process(none);
    assert.equal(none.msg.has("List-Archive"), false);
    assert.equal(none.msg.has("Archived-At"), false);
    const links = [{ archiver: "prototype" as const, listUrl: "https://l.example/a", permalink: "https://l.example/a/messages/HASH" }];
    const optOut = post(message(["From: a@x.org", "X-No-Archive: yes"]), { archive: { archivers: ["prototype"], links } });
    rfc2369.process(optOut);
    assert.deepEqual(optOut.msg.getAll("List-Archive"), ["<https://l.example/a>"]);
    assert.equal(optOut.msg.has("Archived-At"), false);
  });
  it("only List-Id when the list turns the links off", () => {
    const p = post(message(["From: a@x.org"]), { list: makeList({ includeRfc2369Headers: false }) });
    rfc2369.process(p);
    assert.equal(p.msg.has("List-Id"), true);
    assert.equal(p.msg.has("List-Post"), false);
  });
});

describe("decorate", () => {
  const list = makeList({ msgHeader: "Header of $display_name", msgFooter: "--\n$display_name -- $listname" });
  it("adds header and footer to a plain-text post and drops DKIM", () => {
    const p = post(fixture("plain-text"), { list });
    decorateHandler.process(p);
    assert.equal(p.msg.body.toString(), "Header of Test\r\nHello list,\r\nthis is plain text.\r\n--\r\nTest -- test@example.com\r\n");
    assert.equal(p.msg.has("DKIM-Signature"), false);
  });
  it("leaves the body to delivery in personalised mode, but drops DKIM", () => {
    const raw = fixture("plain-text");
    const p = post(raw, { list: makeList({ ...list, personalize: "full" }) });
    decorateHandler.process(p);
    assert.equal(p.msg.has("DKIM-Signature"), false);
    assert.deepEqual(p.msg.body, RawMessage.parse(raw).body);
  });
  it("keeps a post byte for byte when there is nothing to add", () => {
    const raw = fixture("plain-text");
    const p = post(raw);
    decorateHandler.process(p);
    assert.deepEqual(p.msg.toBuffer(), raw);
  });
});

describe("to-archive", () => {
  const builtin = { archivers: ["prototype" as const], links: [] };
  for (const [policy, headers, expected] of [
    ["public", [], true], ["private", [], true], ["never", [], undefined], ["public", ["X-No-Archive: yes"], undefined],
    ["public", ["X-Archive: no"], undefined],
  ] as const) {
    it(`${policy} ${headers.join(" ")} → ${expected}`, () => {
      const p = post(message(["From: a@x.org", ...headers]), { list: makeList({ archivePolicy: policy }), archive: builtin });
      toArchive.process(p);
      assert.equal(p.ctx.archive, expected);
      assert.equal(p.archiveCopy !== undefined, expected === true);
    });
  }
  it("nothing when no archiver takes the list's posts", () => {
    const p = post(message(["From: a@x.org"]), { archive: { archivers: [], links: [] } });
    toArchive.process(p);
    assert.equal(p.ctx.archive, undefined);
  });
  it("the archive's copy has the list headers but not the footer (Mailman decorates after archiving)", () => {
    const p = post(fixture("plain-text"), { list: makeList({ msgFooter: "FOOTER" }), archive: builtin });
    for (const h of POSTING_PIPELINE) h.process(p);
    assert.ok(p.archiveCopy);
    const copy = RawMessage.parse(p.archiveCopy);
    assert.equal(copy.get("List-Id"), "Test <test.example.com>");
    assert.doesNotMatch(copy.body.toString(), /FOOTER/);
    assert.match(p.msg.body.toString(), /FOOTER/);
  });
  it("the archive's copy keeps the poster's From; only the members' copies are rewritten for DMARC", async () => {
    for (const mitigation of ["munge_from", "wrap_message"] as const) {
      const p = post(fixture("dmarc-reject-from"), { archive: builtin });
      p.ctx.dmarc = mitigation;
      for (const h of POSTING_PIPELINE) await h.process(p);
      assert.equal(RawMessage.parse(p.archiveCopy!).addresses("From")[0]?.address, "dee@strict.example", mitigation);
      assert.equal(p.msg.get("From"), "Dee Marc via Test <test@example.com>", mitigation);
      // The wrapper keeps the list's headers outside (Mailman's KEEPERS).
      assert.equal(p.msg.get("List-Id"), "Test <test.example.com>", mitigation);
    }
  });
});

describe("to-outgoing", () => {
  it("excludes a poster who does not want own posts and To/Cc members who opted out of copies", () => {
    const p = post(message(["From: anne@example.com", "To: test@example.com, Bob <bob@example.org>", "Cc: carl@example.org"]), {
      rosterRows: [
        makeMember("anne@example.com", { receiveOwnPostings: false }),
        makeMember("bob@example.org", { receiveListCopy: false }),
        makeMember("carl@example.org"),
      ],
    });
    toOutgoing.process(p);
    assert.deepEqual(p.ctx.exclude, ["anne@example.com", "bob@example.org"]);
    assert.equal(p.ctx.outgoing, true);
  });
  it("excludes nobody by default", () => {
    const p = post(fixture("plain-text"), { rosterRows: [makeMember("anne@example.com")] });
    toOutgoing.process(p);
    assert.deepEqual(p.ctx.exclude, []);
  });
});

describe("the posting pipeline", () => {
  it("is Mailman's order, ending in to-outgoing", () => {
    assert.deepEqual(POSTING_PIPELINE.map((h) => h.name), ["mime-delete", "cleanse", "cook-headers", "rfc-2369", "to-archive", "dmarc", "decorate", "to-outgoing"]);
    for (const h of POSTING_PIPELINE) assert.ok(h.description);
  });
});
