// End to end over real protocols: a real `mailroom serve` child, posts in over LMTP,
// moderation over REST, copies out to an smtp-server sink. Member post delivered to
// every member with the RFC 2369/2919/8058 headers; nonmember post held, accepted
// over REST, delivered; rejected (the sender gets the reason); discarded; loop dropped;
// a member's vacation reply held (or discarded), never sent to the members.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import { startE2eStack, type E2eStack } from "../helpers/e2e-stack.js";
import type { SinkMessage } from "../helpers/smtp-sink.js";
import { RawMessage } from "../../src/domain/raw-message.js";

const PUBLIC_URL = "https://lists.example.com";
const MEMBERS = ["anne@example.com", "bob@example.org", "carl@example.net"];
let stack: E2eStack;

const api = (method: string, path: string, body?: unknown) => stack.api(method, path, body);

const post = (from: string, to: string, headers: string[], body = "Hello.\r\n") =>
  stack.lmtp(from, to, [`From: ${from}`, `To: ${to}`, ...headers].join("\r\n") + "\r\n\r\n" + body);

/** Waits until the list and out queues are empty (every post decided and sent). */
const settled = () => stack.settled(["list", "out"], 60_000);

const bySubject = (s: string) => stack.sink.messages.filter((m) => RawMessage.parse(m.raw).get("Subject")?.includes(s));
const rcpts = (ms: SinkMessage[]) => ms.flatMap((m) => m.rcptTo.map((r) => r.toLowerCase())).sort();

before(async () => {
  stack = await startE2eStack({ env: { MAILROOM_PUBLIC_URL: PUBLIC_URL }, timeoutMs: 120_000 });
  assert.equal((await api("POST", "/domains", { mailHost: "example.com" })).status, 201);
  for (const [name, extra] of [["test", { personalize: "individual" }], ["strict", { defaultNonmemberAction: "reject" }], ["quiet", { defaultNonmemberAction: "discard" }],
    ["away", {}], ["awaydiscard", { autoReplyAction: "discard" }]] as const) {
    assert.equal((await api("POST", "/lists", { address: `${name}@example.com`, displayName: name[0]!.toUpperCase() + name.slice(1), msgFooter: "-- \nUnsubscribe: $user_address", ...extra })).status, 201);
    for (const m of MEMBERS) assert.equal((await api("POST", `/lists/${name}.example.com/members`, { address: m })).status, 201);
  }
  assert.equal((await api("POST", "/lists/test.example.com/members", { address: "owner@example.com", role: "owner" })).status, 201);
});

after(async () => {
  await stack?.close();
});

describe("posting end to end", () => {
  it("a member's post reaches every member once, with the list headers", async () => {
    await post("anne@example.com", "test@example.com", ["Subject: First post", "Message-ID: <first@example.com>"]);
    await settled();
    const copies = bySubject("First post");
    assert.deepEqual(rcpts(copies), [...MEMBERS].sort());
    for (const copy of copies) {
      const m = RawMessage.parse(copy.raw);
      assert.equal(m.get("Subject"), "[Test] First post");
      // RFC 2919
      assert.equal(m.get("List-Id"), "Test <test.example.com>");
      // RFC 2369: angle-bracketed URLs
      assert.equal(m.get("List-Post"), "<mailto:test@example.com>");
      assert.equal(m.get("List-Help"), "<mailto:test-request@example.com?subject=help>");
      assert.equal(m.get("List-Subscribe"), "<mailto:test-join@example.com>");
      // RFC 8058: an https URI plus the one-click POST header; the mailto kept for other clients
      const unsub = m.get("List-Unsubscribe")!;
      assert.match(unsub, new RegExp(`^<${PUBLIC_URL}/u/[^>]+>, ?<mailto:test-leave@example.com>$`));
      assert.equal(m.get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
      assert.equal(m.get("Precedence"), "list");
      assert.equal(m.get("X-BeenThere"), "test@example.com");
      assert.equal(m.get("Message-ID"), "<first@example.com>");
      assert.equal(m.getAll("List-Id").length, 1);
      // Personalised list: VERP envelope and the member's own footer (decorated by delivery).
      const member = copy.rcptTo[0]!;
      assert.equal(copy.mailFrom, `test-bounces+${member.replace("@", "=")}@example.com`);
      assert.match((await simpleParser(copy.raw)).text ?? "", new RegExp(`Unsubscribe: ${member}`));
    }
  });

  it("a nonmember's post is held, the owner told, and after an accept over REST it is delivered", async () => {
    await post("stranger@example.org", "test@example.com", ["Subject: From outside", "Message-ID: <outside@example.org>"]);
    await settled();
    assert.equal(bySubject("From outside").length, 0);
    const notice = stack.sink.messages.find((m) => m.rcptTo.includes("owner@example.com"));
    assert.ok(notice, "moderator notice sent");
    assert.match(RawMessage.parse(notice.raw).get("Subject")!, /requires approval/);
    const held = await api("GET", "/lists/test@example.com/held");
    assert.equal(held.body.total, 1);
    const id = held.body.items[0].id;
    const shown = await api("GET", `/lists/test.example.com/held/${id}`);
    assert.ok(shown.body.headers.some((h: { name: string; value: string }) => h.name === "Subject" && h.value === "From outside"));
    assert.equal((await api("POST", `/lists/test.example.com/held/${id}`, { action: "accept" })).status, 204);
    await settled();
    assert.deepEqual(rcpts(bySubject("From outside")), [...MEMBERS].sort());
    assert.equal((await api("GET", "/lists/test.example.com/held")).body.total, 0);
  });

  it("a rejected post goes nowhere but back to its sender with the reason", async () => {
    await post("stranger@example.org", "strict@example.com", ["Subject: Not welcome", "Message-ID: <reject@example.org>"]);
    await settled();
    const back = stack.sink.messages.filter((m) => m.rcptTo.includes("stranger@example.org"));
    assert.equal(back.length, 1);
    assert.match((await simpleParser(back[0]!.raw)).text ?? "", /automatically rejected/);
    assert.equal(bySubject("Not welcome").filter((m) => !m.rcptTo.includes("stranger@example.org")).length, 0);
  });

  it("a discarded post and a looping post are dropped", async () => {
    const before = stack.sink.messages.length;
    await post("stranger@example.org", "quiet@example.com", ["Subject: Into the void", "Message-ID: <void@example.org>"]);
    await post("anne@example.com", "test@example.com", ["Subject: Loop", "Message-ID: <loop@example.com>", "X-BeenThere: test@example.com"]);
    await settled();
    assert.equal(stack.sink.messages.length, before);
  });

  // Issue 16: a member's vacation reply to a list post reached every other member.
  const AUTO_REPLIES: [marker: string, mailFrom: string, headers: string[], reason: RegExp][] = [
    ["Auto-Submitted: auto-replied", "anne@example.com", ["Auto-Submitted: auto-replied"], /Auto-Submitted: auto-replied/],
    ["Auto-Submitted, null sender", "", ["Auto-Submitted: auto-replied"], /null envelope sender/],
    ["X-Autoreply: yes and Precedence: bulk", "anne@example.com", ["X-Autoreply: yes", "Precedence: bulk"], /Precedence: bulk|auto-responder header/],
    ["X-Autoreply: yes, null sender", "", ["X-Autoreply: yes"], /null envelope sender/],
    ["X-Autorespond", "bob@example.org", ["X-Autorespond: yes"], /auto-responder header/],
    ["Precedence: junk", "bob@example.org", ["Precedence: junk"], /Precedence: junk/],
    ["Precedence: list", "carl@example.net", ["Precedence: list"], /Precedence: list/],
    ["no marker but a null sender", "", [], /null envelope sender/],
  ];

  it("a member's auto-reply reaches no member and is held with its reason, for each marker, with a null and a normal sender", async () => {
    for (const [i, [marker, mailFrom, headers]] of AUTO_REPLIES.entries()) {
      await postAs(mailFrom, "anne@example.com", "away@example.com", [`Subject: Out of office ${i}`, `Message-ID: <away${i}@example.com>`, ...headers], marker);
    }
    await settled();
    for (const [i] of AUTO_REPLIES.entries()) assert.deepEqual(rcpts(bySubject(`Out of office ${i}`)), [], `copies of ${AUTO_REPLIES[i]![0]}`);
    const held = (await api("GET", "/lists/away.example.com/held?limit=100")).body.items as { subject: string; reason: string }[];
    assert.equal(held.length, AUTO_REPLIES.length);
    for (const [i, [marker, , , reason]] of AUTO_REPLIES.entries()) {
      const h = held.find((x) => x.subject === `Out of office ${i}`);
      assert.ok(h, `${marker} held`);
      assert.match(h.reason, reason, marker);
      assert.match(h.reason, /automatically generated/, marker);
    }
    // A person's post to the same list still goes out.
    await post("anne@example.com", "away@example.com", ["Subject: Back at work", "Message-ID: <back@example.com>"]);
    await settled();
    assert.deepEqual(rcpts(bySubject("Back at work")), [...MEMBERS].sort());
  });

  it("with autoReplyAction discard, a member's auto-reply is dropped: no copy, nothing held", async () => {
    for (const [i, [marker, mailFrom, headers]] of AUTO_REPLIES.entries()) {
      await postAs(mailFrom, "bob@example.org", "awaydiscard@example.com", [`Subject: Gone fishing ${i}`, `Message-ID: <fish${i}@example.com>`, ...headers], marker);
    }
    await settled();
    for (const [i] of AUTO_REPLIES.entries()) assert.deepEqual(rcpts(bySubject(`Gone fishing ${i}`)), [], AUTO_REPLIES[i]![0]);
    assert.equal((await api("GET", "/lists/awaydiscard.example.com/held")).body.total, 0);
  });
});

/** A post whose envelope sender (maybe <>) differs from its From. */
function postAs(mailFrom: string, from: string, to: string, headers: string[], body: string) {
  return stack.lmtp(mailFrom, to, [`From: ${from}`, `To: ${to}`, ...headers].join("\r\n") + "\r\n\r\n" + body + "\r\n");
}
