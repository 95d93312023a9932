// mime-delete (Mailman handlers/mime_delete.py) on real MIME: what each filter
// setting removes, collapse and HTML conversion, attached messages, the dispose
// actions, and hostile structures held quickly with the reason.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import mimeDelete from "../../src/pipeline/handlers/mime-delete.js";
import { filterContent, type FilterSettings } from "../../src/pipeline/content/content-filter.js";
import type { MailingList } from "../../src/generated/prisma/client.js";
import { makeList, post as makePost } from "./helpers.js";
import {
  alternative, crlf, deeplyNested, exeAttachment, htmlOnly, manyParts, multipart, noBoundary, part, post, unterminated, withExe, wrongBoundary,
} from "./content/mime.js";

const filtering = (over: Partial<MailingList> = {}) => makeList({ filterContent: true, ...over });

/** Runs the handler; returns its Stop (or null) and the post as it stands after. */
async function run(raw: Buffer, over: Partial<MailingList> = {}, approvedAfter?: string) {
  const p = makePost(raw, { list: filtering(over) });
  // A moderator accepted the post held by this rule or handler (the held context's heldBy).
  if (approvedAfter) Object.assign(p.ctx, { moderatorApproved: true, heldBy: approvedAfter });
  const stop = (await mimeDelete.process(p)) ?? null;
  return { stop, out: p.msg.toBuffer() };
}

describe("mime-delete: what is removed", () => {
  it("removes an .exe attachment by extension; the text left is the post", async () => {
    const { stop, out } = await run(withExe(), { filterExtensions: ["exe"] });
    assert.equal(stop, null);
    const parsed = await simpleParser(out);
    assert.equal(parsed.attachments.length, 0);
    assert.equal(parsed.text?.trim(), "See the attachment.");
    assert.match(out.toString(), /^Content-Type: text\/plain; charset=us-ascii\r$/m);
    assert.match(out.toString(), /^X-Content-Filtered-By: mailroom mime-delete\r$/m);
    assert.match(out.toString(), /^Subject: Test\r$/m);
  });
  it("removes parts by main type or full type (filterTypes)", async () => {
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [
      part("text/plain", "text"), part("image/png", "iVBORw0KGgo=", "Content-Transfer-Encoding: base64\n"), part("application/pdf", "JVBERi0=", "Content-Transfer-Encoding: base64\n"),
    ]));
    for (const types of [["image", "application/pdf"], ["image/png", "application"]]) {
      const parsed = await simpleParser((await run(raw, { filterTypes: types })).out);
      assert.equal(parsed.attachments.length, 0, types.join());
      assert.equal(parsed.text?.trim(), "text");
    }
  });
  it("keeps only passTypes (multipart must be listed, as in Mailman)", async () => {
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [part("text/plain", "text"), part("image/png", "iVBO", "Content-Transfer-Encoding: base64\n"), part("text/x-diff", "--- a\n+++ b")]));
    const parsed = await simpleParser((await run(raw, { passTypes: ["multipart", "text"] })).out);
    assert.deepEqual(parsed.attachments.map((a) => a.contentType), ["text/x-diff"]);
    const whole = await run(raw, { passTypes: ["text/plain"] });
    assert.equal(whole.stop?.outcome, "discard");
    assert.match(whole.stop!.reason, /content type \(multipart\/mixed\) is not one this list accepts/);
  });
  it("keeps only passExtensions; parts without a file name stay", async () => {
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [part("text/plain", "text"), exeAttachment,
      part('application/pdf; name="paper.PDF"', "JVBERi0=", "Content-Transfer-Encoding: base64\n")]));
    const parsed = await simpleParser((await run(raw, { passExtensions: ["pdf"] })).out);
    assert.deepEqual(parsed.attachments.map((a) => a.filename), ["paper.PDF"]);
    assert.equal(parsed.text?.trim(), "text");
  });
  it("removes the DKIM signatures of a post it changed, keeps them on one it did not", async () => {
    const signed = withExe("From: anne@example.com\nDKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; bh=x; b=y\nSubject: Test\nMIME-Version: 1.0\n");
    assert.doesNotMatch((await run(signed, { filterExtensions: ["exe"] })).out.toString(), /DKIM-Signature/);
    assert.match((await run(signed, { filterExtensions: ["zip"] })).out.toString(), /DKIM-Signature/);
  });
  it("leaves a post the settings do not touch byte for byte", async () => {
    const raw = withExe();
    const { stop, out } = await run(raw, { filterExtensions: ["zip"], collapseAlternatives: true });
    assert.equal(stop, null);
    assert.ok(out.equals(raw));
  });
  it("does nothing while filterContent is off, whatever the post", async () => {
    const p = makePost(manyParts(5000), { list: makeList({ filterExtensions: ["exe"] }) });
    assert.equal(await mimeDelete.process(p), undefined);
  });
});

describe("mime-delete: the whole post", () => {
  const exeOnly = () => post('application/octet-stream; name="x.exe"', "TVqQ", "");
  for (const [action, outcome] of [["discard", "discard"], ["reject", "reject"], ["forward", "forward"], ["preserve", "preserve"], ["hold", "discard"], ["accept", "discard"], ["defer", "discard"]] as const) {
    it(`filterAction ${action} → ${outcome}`, async () => {
      const { stop } = await run(exeOnly(), { filterExtensions: ["exe"], filterAction: action });
      assert.equal(stop?.outcome, outcome);
      assert.match(stop!.reason, /file extension \(\.exe\) is not allowed/);
    });
  }
  it("a multipart left with nothing is removed whole", async () => {
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [exeAttachment]));
    const { stop } = await run(raw, { filterExtensions: ["exe"] });
    assert.match(stop!.reason, /nothing was left/);
  });
});

describe("mime-delete: collapse and conversion", () => {
  it("collapses a multipart/alternative post to its first part", async () => {
    const { stop, out } = await run(alternative());
    assert.equal(stop, null);
    const parsed = await simpleParser(out);
    assert.equal(parsed.html, false);
    assert.equal(parsed.text?.trim(), "Plain version.");
  });
  it("collapses an alternative inside a mixed post, keeping the attachment", async () => {
    const inner = `Content-Type: multipart/alternative; boundary="alt"\n\n${multipart("alt", [part("text/plain", "Plain."), part("text/html", "<p>HTML.</p>")])}`;
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [inner, part('application/pdf; name="a.pdf"', "JVBERi0=", "Content-Transfer-Encoding: base64\n")]));
    const parsed = await simpleParser((await run(raw)).out);
    assert.equal(parsed.html, false);
    assert.equal(parsed.text?.trim(), "Plain.");
    assert.deepEqual(parsed.attachments.map((a) => a.filename), ["a.pdf"]);
  });
  it("keeps multipart/alternative when collapseAlternatives is off", async () => {
    const raw = alternative();
    const { out } = await run(raw, { collapseAlternatives: false });
    assert.ok(out.equals(raw));
  });
  it("turns an HTML-only post into plain text (html-to-text), charset and words kept", async () => {
    const { stop, out } = await run(htmlOnly(), { convertHtmlToPlaintext: true });
    assert.equal(stop, null);
    const parsed = await simpleParser(out);
    assert.equal(parsed.html, false);
    assert.match(out.toString(), /^Content-Type: text\/plain; charset=utf-8\r$/m);
    assert.doesNotMatch(out.toString(), /[^\r]\n/, "CRLF throughout");
    assert.match(parsed.text!, /HELLO/);
    assert.match(parsed.text!, /Café news and a link \[https:\/\/example.org\/x\]/);
  });
  it("converts base64 HTML inside a multipart too", async () => {
    const html = Buffer.from("<p>Encoded <i>HTML</i></p>").toString("base64");
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [part("text/html; charset=utf-8", html, "Content-Transfer-Encoding: base64\n"), part('application/pdf; name="a.pdf"', "JVBERi0=", "Content-Transfer-Encoding: base64\n")]));
    const parsed = await simpleParser((await run(raw, { convertHtmlToPlaintext: true })).out);
    assert.equal(parsed.text?.trim(), "Encoded HTML");
    assert.equal(parsed.attachments.length, 1);
  });
  it("a converted HTML part keeps its Content-Disposition (an attachment stays one)", async () => {
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [part("text/plain", "See the page."),
      part('text/html; charset=us-ascii; name="page.html"', "<p>The page.</p>", 'Content-Disposition: attachment; filename="page.html"\n')]));
    const { out } = await run(raw, { convertHtmlToPlaintext: true });
    assert.match(out.toString(), /^Content-Disposition: attachment; filename="?page\.html"?\r$/m);
    const parsed = await simpleParser(out);
    assert.deepEqual(parsed.attachments.map((a) => [a.contentType, a.filename]), [["text/plain", "page.html"]]);
  });
  it("an HTML part whose text holds the old boundary cannot inject a part (rebuilt multiparts get a new boundary)", async () => {
    const html = "<pre>\n=2D-m\nContent-Type: application/x-msdownload; name=\"evil.exe\"\nContent-Disposition: attachment; filename=\"evil.exe\"\nContent-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA\n</pre>";
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [part("text/html; charset=us-ascii", html, "Content-Transfer-Encoding: quoted-printable\n"), part("text/plain", "hello")]));
    const settings = { filterExtensions: ["exe"], convertHtmlToPlaintext: true };
    const { stop, out } = await run(raw, settings);
    assert.equal(stop, null);
    assert.doesNotMatch(out.toString(), /boundary="m"/);
    const parsed = await simpleParser(out);
    assert.equal(parsed.attachments.length, 0);
    assert.match(parsed.text!, /evil\.exe/, "the text stays text");
    assert.equal((await filterContent(out, filtering(settings) as FilterSettings)).kind, "unchanged");
  });
  it("leaves multipart/signed with one part alone (its signature must still verify)", async () => {
    const raw = post('multipart/signed; protocol="application/pgp-signature"; boundary="s"', multipart("s", [part("text/plain", "signed"), exeAttachment.replace("setup.exe", "sig.asc").replace("setup.exe", "sig.asc")]));
    const { out } = await run(raw, { filterExtensions: ["asc"] });
    assert.match(out.toString(), /^Content-Type: multipart\/signed; protocol="application\/pgp-signature";/m);
  });
  it("keeps bare-LF line endings of a post written with them", async () => {
    const raw = Buffer.from(withExe().toString().replace(/\r\n/g, "\n"));
    const { out } = await run(raw, { filterExtensions: ["exe"] });
    assert.equal(out.includes("\r\n"), false);
    assert.equal((await simpleParser(out)).text?.trim(), "See the attachment.");
  });
});

describe("mime-delete: attached messages", () => {
  it("filters the parts of a forwarded message", async () => {
    const forwarded = withExe().toString();
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [part("text/plain", "Forwarding."), part("message/rfc822", forwarded, "Content-Disposition: attachment\n")]));
    const { stop, out } = await run(raw, { filterExtensions: ["exe"] });
    assert.equal(stop, null);
    assert.equal(out.includes("TVqQAAMAAAAEAAAA"), false);
    const parsed = await simpleParser(out);
    const inner = await simpleParser(parsed.attachments.find((a) => a.contentType === "message/rfc822")!.content);
    assert.equal(inner.text?.trim(), "See the attachment.");
    assert.equal(inner.subject, "Test");
  });
});

describe("mime-delete: posts that cannot be filtered safely are held, quickly", () => {
  const cases: [string, () => Buffer, RegExp][] = [
    ["1,000 levels of nesting", () => deeplyNested(1000), /nested more than 20 levels deep/],
    ["10,000 parts", () => manyParts(10_000), /more than 500 MIME parts/],
    ["a multipart never closed", unterminated, /never closed/],
    ["a multipart without a boundary", noBoundary, /has no boundary/],
    ["a boundary that never occurs", wrongBoundary, /has no parts/],
  ];
  for (const [name, make, reason] of cases) {
    it(name, async () => {
      const raw = make();
      const started = performance.now();
      const { stop, out } = await run(raw, { filterExtensions: ["exe"] });
      assert.ok(performance.now() - started < 2000, "under 2 s");
      assert.equal(stop?.outcome, "hold");
      assert.match(stop!.reason, /^The post cannot be filtered safely: /);
      assert.match(stop!.reason, reason);
      assert.ok(out.equals(raw), "not half-filtered");
    });
  }
  for (const [name, html, reason] of [
    ["20,000 nested <div>s (html-to-text would overflow the stack)", "<div>".repeat(20_000) + "x" + "</div>".repeat(20_000), /nested more than 200 levels deep/],
    ["20,000 paragraphs side by side", "<p>a</p>".repeat(20_000), /more than 10000 elements in one/],
    ["an HTML part over 1 MiB", "<table>" + "<tr><td>a</td><td>b</td></tr>".repeat(40_000) + "</table>", /longer than 1048576 characters/],
  ] as const) {
    it(`HTML: ${name}`, async () => {
      const raw = post("text/html; charset=us-ascii", html);
      const started = performance.now();
      const { stop, out } = await run(raw, { convertHtmlToPlaintext: true });
      assert.ok(performance.now() - started < 2000, "under 2 s");
      assert.equal(stop?.outcome, "hold");
      assert.match(stop!.reason, reason);
      assert.ok(out.equals(raw), "not half-filtered");
    });
  }
  it("a forwarded message nested too deep counts towards the same limits", async () => {
    let raw = withExe().toString();
    for (let i = 0; i < 25; i++) raw = crlf(`From: a@x.org\nContent-Type: message/rfc822\n\n${raw}`).toString();
    const { stop } = await run(Buffer.from(raw), { filterExtensions: ["exe"] });
    assert.equal(stop?.outcome, "hold");
  });
  it("a moderator's accept of the post mime-delete held sends it as it is", async () => {
    const raw = unterminated();
    const { stop, out } = await run(raw, { filterExtensions: ["exe"] }, "mime-delete");
    assert.equal(stop, null);
    assert.ok(out.equals(raw));
  });
  it("a moderator's accept of a post held by the chain does not waive filtering", async () => {
    const held = await run(unterminated(), { filterExtensions: ["exe"] }, "nonmember-moderation");
    assert.equal(held.stop?.outcome, "hold", "held again, now by mime-delete");
    assert.match(held.stop!.reason, /^The post cannot be filtered safely: .*never closed/);
    const { stop, out } = await run(withExe(), { filterExtensions: ["exe"] }, "nonmember-moderation");
    assert.equal(stop, null);
    assert.equal((await simpleParser(out)).attachments.length, 0, "the .exe is removed");
  });
  it("a part removed anyway is not opened: a broken message inside an .eml the list filters does not hold the post", async () => {
    const broken = unterminated().toString();
    const raw = post('multipart/mixed; boundary="m"', multipart("m", [part("text/plain", "Forwarding."),
      part('message/rfc822; name="fwd.eml"', broken, 'Content-Disposition: attachment; filename="fwd.eml"\n')]));
    const { stop, out } = await run(raw, { filterExtensions: ["eml"] });
    assert.equal(stop, null);
    assert.equal((await simpleParser(out)).text?.trim(), "Forwarding.");
    assert.equal((await run(raw, { filterTypes: ["message/rfc822"] })).stop, null);
    assert.equal((await run(raw, {})).stop?.outcome, "hold", "kept, it must be filterable");
  });
  it("filterContent reports the reason as a value", async () => {
    const s = filtering() as FilterSettings;
    assert.deepEqual(await filterContent(noBoundary(), s), { kind: "unfilterable", reason: "a multipart/mixed part has no boundary" });
  });
});
