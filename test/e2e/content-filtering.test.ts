// Content filtering and list hygiene end to end: a real `mailroom serve` child, posts
// in over LMTP, copies counted at an smtp-server sink. One list filters content (set
// partly through the native API, partly through Mailman's /3.1 config, read back
// through both): an .exe attachment is removed, an HTML-only post arrives as plain
// text, multipart/alternative is collapsed; a banned poster's post is discarded; MIME
// bombs and broken boundaries are held with the reason, quickly, and the server lives on;
// a moderator's accept waives only mime-delete's own hold.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import { startE2eStack, type E2eStack } from "../helpers/e2e-stack.js";
import { RawMessage } from "../../src/domain/raw-message.js";
import { alternative, deeplyNested, htmlOnly, manyParts, unterminated, withExe, wrongBoundary } from "../pipeline/content/mime.js";

const MEMBERS = ["anne@example.com", "bob@example.org"];
const LIST = "filtered.example.com";
let stack: E2eStack;

const api = (method: string, path: string, body?: unknown) => stack.api(method, path, body);
const head = (subject: string, from = "anne@example.com") =>
  `From: ${from}\nTo: filtered@example.com\nSubject: ${subject}\nMessage-ID: <${subject.replace(/\W+/g, "-")}@example.com>\nMIME-Version: 1.0\n`;
const send = (raw: Buffer, from = "anne@example.com") => stack.lmtp(from, "filtered@example.com", raw.toString("utf8"));
const settled = () => stack.settled(["list", "out"], 60_000);
const bySubject = (s: string) => stack.sink.messages.filter((m) => RawMessage.parse(m.raw).get("Subject")?.includes(s));
const recipients = (s: string) => bySubject(s).flatMap((m) => m.rcptTo).sort();

before(async () => {
  stack = await startE2eStack({ timeoutMs: 120_000 });
  assert.equal((await api("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await api("POST", "/lists", {
    address: "filtered@example.com", filterContent: true, filterExtensions: [".EXE"], collapseAlternatives: true,
  })).status, 201);
  // The rest through Mailman's face, as Postorius would set it.
  assert.equal((await api("PATCH", `/3.1/lists/${LIST}/config`, { convert_html_to_plaintext: true, filter_action: "discard" })).status, 204);
  for (const m of MEMBERS) assert.equal((await api("POST", `/lists/${LIST}/members`, { address: m })).status, 201);
  assert.equal((await api("POST", `/lists/${LIST}/members`, { address: "owner@example.com", role: "owner" })).status, 201);
});

after(async () => {
  await stack?.close();
});

describe("content filtering end to end", () => {
  it("both APIs show the same filter settings", async () => {
    const native = (await api("GET", `/lists/${LIST}`)).body;
    assert.deepEqual([native.filterContent, native.filterExtensions, native.convertHtmlToPlaintext, native.filterAction], [true, ["exe"], true, "discard"]);
    const config = (await api("GET", `/3.1/lists/${LIST}/config`)).body;
    assert.deepEqual([config.filter_content, config.filter_extensions, config.convert_html_to_plaintext, config.collapse_alternatives], [true, ["exe"], true, true]);
  });

  it("an .exe attachment is removed; the members get the text", async () => {
    await send(withExe(head("With a program")));
    await settled();
    assert.deepEqual(recipients("With a program"), MEMBERS.slice().sort());
    for (const copy of bySubject("With a program")) {
      const parsed = await simpleParser(copy.raw);
      assert.equal(parsed.attachments.length, 0);
      assert.equal(parsed.text?.trim(), "See the attachment.");
      assert.equal(RawMessage.parse(copy.raw).get("X-Content-Filtered-By"), "mailroom mime-delete");
    }
  });

  it("an HTML-only post arrives as plain text", async () => {
    await send(htmlOnly(head("Only HTML")));
    await settled();
    assert.deepEqual(recipients("Only HTML"), MEMBERS.slice().sort());
    const parsed = await simpleParser(bySubject("Only HTML")[0]!.raw);
    assert.equal(parsed.html, false);
    assert.match(parsed.text!, /Café news and a link \[https:\/\/example.org\/x\]/);
  });

  it("multipart/alternative is collapsed to its plain part", async () => {
    await send(alternative(head("Two versions")));
    await settled();
    assert.deepEqual(recipients("Two versions"), MEMBERS.slice().sort());
    const copy = bySubject("Two versions")[0]!;
    assert.match(RawMessage.parse(copy.raw).get("Content-Type")!, /^text\/plain/);
    assert.equal((await simpleParser(copy.raw)).text?.trim(), "Plain version.");
  });

  it("a post from a banned address is discarded: no copy, nothing held", async () => {
    assert.equal((await api("POST", `/lists/${LIST}/bans`, { email: "spammer@example.net" })).status, 201);
    const heldBefore = (await api("GET", `/lists/${LIST}/held`)).body.total;
    await send(Buffer.from(`${head("Banned words", "spammer@example.net")}Content-Type: text/plain\n\nBuy now.\n`), "spammer@example.net");
    await settled();
    assert.equal(bySubject("Banned words").length, 0);
    assert.equal((await api("GET", `/lists/${LIST}/held`)).body.total, heldBefore);
  });

  it("a moderator's accept waives only mime-delete's own hold: a non-member's post is filtered after it", async () => {
    type Held = { id: number; subject: string; reason: string };
    const heldNow = async () => (await api("GET", `/lists/${LIST}/held`)).body.items as Held[];
    const accept = async (subject: string) => {
      const h = (await heldNow()).find((x) => x.subject === subject);
      assert.ok(h, `${subject} held`);
      assert.equal((await api("POST", `/lists/${LIST}/held/${h.id}`, { action: "accept" })).status, 204);
      await settled();
      return h;
    };
    const stranger = "stranger@example.net";
    await send(withExe(head("Stranger program", stranger)), stranger);
    await send(Buffer.from(unterminated().toString().replace("From: anne@example.com", `From: ${stranger}`).replace("Subject: Test", "Subject: Stranger broken")), stranger);
    await settled();
    assert.doesNotMatch((await accept("Stranger program")).reason, /filtered/);
    assert.deepEqual(recipients("Stranger program"), MEMBERS.slice().sort());
    for (const copy of bySubject("Stranger program")) assert.equal((await simpleParser(copy.raw)).attachments.length, 0, "the .exe is removed");
    // Accepted after the non-member hold: held again, now by mime-delete; accepted again, it goes as it is.
    await accept("Stranger broken");
    assert.equal(bySubject("Stranger broken").length, 0);
    assert.match((await accept("Stranger broken")).reason, /^The post cannot be filtered safely: .*never closed/);
    assert.deepEqual(recipients("Stranger broken"), MEMBERS.slice().sort());
  });

  it("MIME bombs and broken boundaries are held with the reason, quickly, and the server goes on", async () => {
    const started = Date.now();
    const bombs: [string, Buffer, RegExp][] = [
      ["Bomb deep", deeplyNested(1000), /nested more than 20 levels deep/],
      ["Bomb wide", manyParts(10_000), /more than 500 MIME parts/],
      ["Bomb boundary", wrongBoundary(), /has no parts/],
    ];
    for (const [subject, raw] of bombs) await send(Buffer.from(raw.toString().replace("Subject: Test", `Subject: ${subject}`)));
    await settled();
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
    const held = (await api("GET", `/lists/${LIST}/held`)).body.items as { subject: string; reason: string }[];
    for (const [subject, , reason] of bombs) {
      assert.equal(bySubject(subject).length, 0, `${subject} not sent`);
      const h = held.find((x) => x.subject === subject);
      assert.ok(h, `${subject} held`);
      assert.match(h.reason, /^The post cannot be filtered safely: /);
      assert.match(h.reason, reason);
    }
    // Still serving: a plain post goes through.
    await send(Buffer.from(`${head("After the bombs")}Content-Type: text/plain\n\nStill here.\n`));
    await settled();
    assert.deepEqual(recipients("After the bombs"), MEMBERS.slice().sort());
  });
});
