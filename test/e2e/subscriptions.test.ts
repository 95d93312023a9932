// End to end over real protocols for issue 6: a real `mailroom serve` child, mail in
// over LMTP, REST over HTTP, everything mailroom sends caught by an smtp-server sink.
// Join by mail and confirm by reply; REST invite confirmed by a `confirm` command;
// moderated subscription approved over REST; leave by mail; help; an auto-responder
// not answered; one-click unsubscribe with the URL from a delivered copy; a member
// disabled by bounces and re-enabled over REST.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { simpleParser } from "mailparser";
import { receivedBy, startE2eStack, subjectOf, type E2eStack } from "../helpers/e2e-stack.js";
import { RawMessage } from "../../src/domain/raw-message.js";
import { waitFor } from "../helpers/wait.js";

const PUBLIC_URL = "https://lists.example.com";
let stack: E2eStack;

const api = (method: string, path: string, body?: unknown) => stack.api(method, path, body);
const lmtp = (mailFrom: string, to: string, message: string) => stack.lmtp(mailFrom, to, message);

const mail = (from: string, to: string, subject: string, body = "", extra: string[] = []) =>
  lmtp(from, to, [`From: ${from}`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: <${Math.random().toString(36).slice(2)}@test>`, ...extra, "", body, ""].join("\n"));

const received = (rcpt: string, subject: RegExp, ms?: number) => receivedBy(stack.sink, rcpt, subject, ms);

/** Waits until the given queues are empty. */
const settled = (queues = ["list", "command", "bounces", "owner", "out"]) => stack.settled(queues, 30_000);

before(async () => {
  stack = await startE2eStack({ env: { MAILROOM_PUBLIC_URL: PUBLIC_URL } });
  assert.equal((await api("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await api("POST", "/lists", { address: "dev@example.com" })).status, 201);
  assert.equal((await api("POST", "/lists", { address: "mod@example.com", subscriptionPolicy: "moderate" })).status, 201);
  for (const [list, address, role] of [["dev", "owner@example.com", "owner"], ["mod", "owner@example.com", "owner"]]) {
    assert.equal((await api("POST", `/lists/${list}.example.com/members`, { address, role })).status, 201);
  }
});

after(async () => {
  await stack?.close();
});

describe("subscriptions end to end", () => {
  it("join by mail, confirm by replying to the confirmation", async () => {
    await mail("anne@example.org", "dev-join@example.com", "please add me");
    const confirmation = await received("anne@example.org", /^confirm [0-9a-f]{40}$/);
    const parsed = await simpleParser(confirmation.raw);
    const replyTo = parsed.replyTo!.value[0]!.address!;
    assert.match(replyTo, /^dev-confirm\+[0-9a-f]{40}@example\.com$/);
    assert.equal(confirmation.mailFrom, "dev-bounces@example.com");
    await mail("anne@example.org", replyTo, `Re: ${parsed.subject}`, "> Someone asked to subscribe you");
    await received("anne@example.org", /Welcome to the "Dev" mailing list/);
    assert.equal((await api("GET", "/lists/dev.example.com/members/anne@example.org")).status, 200);
  });

  it("REST invitation, confirmed with a `confirm TOKEN` command to -request", async () => {
    const started = await api("POST", "/lists/dev.example.com/subscriptions", { address: "bea@example.org", displayName: "Bea" });
    assert.equal(started.status, 202);
    const confirmation = await received("bea@example.org", new RegExp(`^confirm ${started.body.token}$`));
    assert.ok(confirmation);
    await mail("bea@example.org", "dev-request@example.com", "commands", `confirm ${started.body.token}\nend`);
    await received("bea@example.org", /Welcome/);
    const reply = await received("bea@example.org", /The results of your email commands/);
    assert.match((await simpleParser(reply.raw)).text!, /is now subscribed/);
    assert.equal((await api("GET", "/lists/dev.example.com/members/bea@example.org")).body.displayName, "Bea");
  });

  it("a moderated list holds the request; the owner is told and approves it over REST", async () => {
    await mail("cyd@example.org", "mod-subscribe@example.com", "subscribe");
    const notice = await received("owner@example.com", /New subscription request to Mod from cyd@example.org/);
    assert.ok(notice);
    const pending = await api("GET", "/lists/mod.example.com/requests");
    assert.equal(pending.body.total, 1);
    const { token, state } = pending.body.items[0];
    assert.equal(state, "awaiting_moderation");
    const decided = await api("POST", `/lists/mod.example.com/requests/${token}`, { action: "accept" });
    assert.deepEqual(decided.body, { status: "subscribed", address: "cyd@example.org" });
    await received("cyd@example.org", /Welcome to the "Mod"/);
  });

  it("leave by mail: confirmation, reply, goodbye", async () => {
    assert.equal((await api("POST", "/lists/dev.example.com/members", { address: "dov@example.org" })).status, 201);
    await mail("dov@example.org", "dev-leave@example.com", "bye");
    const confirmation = await received("dov@example.org", /^confirm /);
    const replyTo = (await simpleParser(confirmation.raw)).replyTo!.value[0]!.address!;
    await mail("dov@example.org", replyTo, `Re: ${subjectOf(confirmation)}`);
    await received("dov@example.org", /You have left the "Dev" mailing list/);
    assert.equal((await api("GET", "/lists/dev.example.com/members/dov@example.org")).status, 404);
  });

  it("help gets one reply; an auto-responder's mail is not answered", async () => {
    await mail("robot@example.org", "dev-request@example.com", "Out of office: help", "help", ["Auto-Submitted: auto-replied"]);
    await mail("eve@example.org", "dev-request@example.com", "help");
    const reply = await received("eve@example.org", /The results of your email commands/);
    const text = (await simpleParser(reply.raw)).text!;
    assert.match(text, /Help for the Dev mailing list/);
    assert.match(text, /dev-request@example\.com/);
    await settled();
    assert.equal(stack.sink.messages.filter((m) => m.rcptTo.includes("robot@example.org")).length, 0);
    assert.equal(stack.sink.messages.filter((m) => m.rcptTo.includes("eve@example.org")).length, 1);
  });

  it("one-click unsubscribe: an HTTP POST to the URL in a delivered copy's List-Unsubscribe", async () => {
    assert.equal((await api("POST", "/lists/dev.example.com/members", { address: "fay@example.org" })).status, 201);
    await mail("owner@example.com", "dev@example.com", "A post for everyone", "Hello all.");
    const copy = await received("fay@example.org", /A post for everyone/);
    const head = RawMessage.parse(copy.raw);
    assert.equal(head.get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    const url = /<(https:[^>]+)>/.exec(head.get("List-Unsubscribe")!.replace(/\r?\n\s*/g, " "))![1]!;
    assert.ok(url.startsWith(`${PUBLIC_URL}/u/`));
    // The public URL's path, sent to this server as Gmail or Yahoo would send it (RFC 8058 §3.2).
    const res = await fetch(`http://127.0.0.1:${stack.server.httpPort}${new URL(url).pathname}`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click",
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, "unsubscribed");
    assert.equal((await api("GET", "/lists/dev.example.com/members/fay@example.org")).status, 404);
  });

  it("a member is disabled after the bounce threshold, and re-enabled over REST", async () => {
    assert.equal((await api("PATCH", "/lists/dev.example.com", { bounceScoreThreshold: 1 })).status, 200);
    assert.equal((await api("POST", "/lists/dev.example.com/members", { address: "gil@example.org" })).status, 201);
    const dsn = readFileSync(new URL("../fixtures/bounces/dsn-postfix-user-unknown.eml", import.meta.url), "utf8")
      .replaceAll("anne@example.org", "gil@example.org").replaceAll("lists.example.com", "example.com");
    await lmtp("", "dev-bounces+gil=example.org@example.com", dsn);
    const record = await waitFor("delivery disabled by bounces", async () => {
      const r = await api("GET", "/lists/dev.example.com/members/gil@example.org/bounces");
      return r.body.deliveryStatus === "by_bounces" ? r.body : null;
    });
    assert.equal(record.bounceScore, 1);
    assert.equal(record.events[0].kind, "permanent");
    await received("gil@example.org", /is on hold/);
    await received("owner@example.com", /gil@example.org disabled on Dev by bounces/);
    const enabled = await api("PATCH", "/lists/dev.example.com/members/gil@example.org", { deliveryStatus: "enabled" });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.deliveryStatus, "enabled");
  });

  // Issue 16: a member's vacation reply sent to the VERP address of a list copy was
  // scored as a permanent bounce. A real DSN carries Auto-Submitted too; it still counts.
  it("a vacation reply to a member's VERP address is not a bounce: no score, no event, nothing forwarded; a real DSN still counts", async () => {
    assert.equal((await api("PATCH", "/lists/dev.example.com", { bounceScoreThreshold: 1 })).status, 200);
    assert.equal((await api("POST", "/lists/dev.example.com/members", { address: "hal@example.org" })).status, 201);
    const verp = "dev-bounces+hal=example.org@example.com";
    const before = stack.sink.messages.length;
    const vacation = (mailFrom: string, extra: string[]) => lmtp(mailFrom, verp, [
      "From: Hal <hal@example.org>", `To: ${verp}`, "Subject: Out of office: [Dev] Release notes",
      `Message-ID: <${Math.random().toString(36).slice(2)}@example.org>`, ...extra, "",
      "I am away until Monday and will read your message then.", ""].join("\n"));
    await vacation("", ["Auto-Submitted: auto-replied"]);
    await vacation("hal@example.org", ["X-Autoreply: yes", "Precedence: bulk"]);
    await vacation("hal@example.org", ["X-Autorespond: yes"]);
    await settled();
    const record = (await api("GET", "/lists/dev.example.com/members/hal@example.org/bounces")).body;
    assert.equal(record.bounceScore, 0);
    assert.equal(record.deliveryStatus, "enabled");
    assert.deepEqual(record.events, []);
    assert.equal(stack.sink.messages.length, before, "nothing forwarded to the owners, no notice to hal");

    const dsn = readFileSync(new URL("../fixtures/bounces/dsn-postfix-user-unknown.eml", import.meta.url), "utf8")
      .replaceAll("anne@example.org", "hal@example.org").replaceAll("lists.example.com", "example.com");
    assert.match(dsn, /Auto-Submitted: auto-replied/i, "the DSN is marked as an auto-reply too");
    await lmtp("", verp, dsn);
    await waitFor("hal disabled by a real bounce", async () => {
      const r = await api("GET", "/lists/dev.example.com/members/hal@example.org/bounces");
      return r.body.deliveryStatus === "by_bounces" ? r.body : null;
    });
  });
});
