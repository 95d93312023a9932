// The command, owner and bounces queue handlers driven with jobs on a real database:
// a stored message plus a job shaped as LMTP makes them (src/commands/handler.ts,
// src/bounces/handler.ts). Replies are checked as queued "out" jobs.
import { after, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createTestDatabase } from "../helpers/db.js";
import { createLogger } from "../../src/log.js";
import { createCommandHandler, createOwnerHandler } from "../../src/commands/handler.js";
import { createBounceHandler } from "../../src/bounces/handler.js";
import type { JobHandler } from "../../src/queue/runner.js";
import { LIST, memberRow, queuedNotices, setUp } from "./helpers.js";

const t = await createTestDatabase();
after(() => t.close());
beforeEach(() => t.reset());
const log = createLogger("silent");

async function deliver(h: JobHandler, raw: string | Buffer, opts: { mailFrom?: string; subaddress: string; extension?: string | null }) {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.replace(/\n/g, "\r\n"));
  const msg = await t.db.prisma.message.create({
    data: { messageId: "<m@x>", messageIdHash: "H", mailFrom: opts.mailFrom ?? "anne@example.org", rcptTo: [], size: bytes.length, raw: new Uint8Array(bytes) },
  });
  const job = await t.db.prisma.job.create({
    data: { queue: h.queue, messageId: msg.id, listId: "dev.lists.example.com", data: { subaddress: opts.subaddress, extension: opts.extension ?? null } },
  });
  await h.handle(job, { signal: new AbortController().signal, log });
}

async function handlers() {
  const { services } = await setUp(t.db);
  const h = { db: t.db, log, services };
  return { services, command: createCommandHandler(h), owner: createOwnerHandler(h), bounce: createBounceHandler({ ...h, sweepIntervalMs: 0 }) };
}

const mail = (subject: string, body = "", extra = "") =>
  `From: Anne <anne@example.org>\nTo: dev-request@lists.example.com\nSubject: ${subject}\nMessage-ID: <q1@example.org>\n${extra}\n${body}\n`;

test("help to -request gets one reply with the help text, threaded", async () => {
  const { command } = await handlers();
  await deliver(command, mail("help"), { subaddress: "request" });
  const [reply] = await queuedNotices(t.db);
  assert.deepEqual(reply!.to, ["anne@example.org"]);
  assert.equal(reply!.subject, "The results of your email commands");
  assert.match(reply!.text, /> help\n\s+Help for the Dev mailing list/);
  assert.equal(reply!.headers.get("in-reply-to"), "<q1@example.org>");
  assert.equal(reply!.headers.get("auto-submitted"), "auto-replied");
});

test("auto-generated mail is never answered", async () => {
  const { command } = await handlers();
  await deliver(command, mail("help", "", "Auto-Submitted: auto-replied\n"), { subaddress: "request" });
  await deliver(command, mail("help", "", "Precedence: bulk\n"), { subaddress: "request" });
  await deliver(command, mail("join"), { subaddress: "join", mailFrom: "" });
  assert.equal((await queuedNotices(t.db)).length, 0);
  assert.equal(await t.db.prisma.subscriptionRequest.count(), 0);
});

test("join to -join, then a reply to -confirm+TOKEN subscribes", async () => {
  const { command } = await handlers();
  await deliver(command, mail(""), { subaddress: "join" });
  const [confirmation] = await queuedNotices(t.db);
  const token = confirmation!.subject.replace("confirm ", "");
  await deliver(command, mail(`Re: confirm ${token}`, "> quoted"), { subaddress: "confirm", extension: token });
  assert.equal((await memberRow(t.db, "anne@example.org"))?.displayName, "Anne");
  const notices = await queuedNotices(t.db);
  assert.equal(notices.length, 2);
  assert.match(notices[1]!.subject, /Welcome/);
});

test("a wrong token to -confirm gets an answer saying so", async () => {
  const { command } = await handlers();
  await deliver(command, mail("Re: confirm 0000000000000000000000000000000000000000"), { subaddress: "confirm", extension: null });
  const [reply] = await queuedNotices(t.db);
  assert.match(reply!.text, /no pending confirmation has that token/);
});

test("several commands in one message get one reply; `who` is refused to non-moderators", async () => {
  const { command, services } = await handlers();
  await services.members.add(LIST, { address: "anne@example.org" });
  await deliver(command, mail("who", "leave\nfrobnicate\nend\njoin"), { subaddress: "request" });
  const notices = await queuedNotices(t.db);
  const reply = notices.find((n) => n.subject === "The results of your email commands")!;
  assert.match(reply.text, /> who\n\s+You are not allowed/);
  assert.match(reply.text, /> leave\n\s+A confirmation request was sent/);
  assert.match(reply.text, /- Unprocessed:\n\s+frobnicate/);
  assert.doesNotMatch(reply.text, /> join/);
});

test("-owner mail is forwarded as is to owners and moderators", async () => {
  const { owner, services } = await handlers();
  await services.members.add(LIST, { address: "boss@example.org", role: "owner" });
  await services.members.add(LIST, { address: "mod@example.org", role: "moderator" });
  await deliver(owner, mail("question for the owners"), { subaddress: "owner" });
  const jobs = await t.db.prisma.job.findMany({ where: { queue: "out" } });
  assert.equal(jobs.length, 1);
  assert.deepEqual((jobs[0]!.data as { recipients: string[] }).recipients, ["boss@example.org", "mod@example.org"]);
  assert.equal((jobs[0]!.data as { envelopeFrom: string }).envelopeFrom, "dev-bounces@lists.example.com");
  await deliver(owner, mail("Undelivered Mail Returned to Sender"), { subaddress: "owner", mailFrom: "" });
  const bounced = await t.db.prisma.job.findMany({ where: { queue: "out" }, orderBy: { id: "desc" }, take: 1 });
  assert.equal((bounced[0]!.data as { envelopeFrom: string }).envelopeFrom, "", "a bounce to -owner is forwarded with the null sender");
});

test("a DSN bounce disables a member at the threshold; an unrecognised one goes to the owners", async () => {
  const { bounce, services } = await handlers();
  await t.db.prisma.mailingList.updateMany({ data: { bounceScoreThreshold: 1 } });
  await services.members.add(LIST, { address: "anne@example.org" });
  await services.members.add(LIST, { address: "boss@example.org", role: "owner" });
  await deliver(bounce, readFileSync(new URL("../fixtures/bounces/dsn-postfix-user-unknown.eml", import.meta.url)), { subaddress: "bounces", mailFrom: "" });
  const m = await memberRow(t.db, "anne@example.org");
  assert.equal(m?.deliveryStatus, "by_bounces");
  assert.equal(m?.bounceScore, 1);
  const events = await t.db.prisma.bounceEvent.findMany();
  assert.deepEqual(events.map((e) => [e.addressKey, e.kind, e.processed]), [["anne@example.org", "permanent", true]]);
  assert.match(events[0]!.reason, /^5\.1\.1 550 5\.1\.1/);
  const notices = await queuedNotices(t.db);
  assert.deepEqual(notices.map((n) => n.to[0]).sort(), ["anne@example.org", "boss@example.org"]);

  await deliver(bounce, "From: someone@example.net\nTo: dev-bounces@lists.example.com\nSubject: what is this?\n\nI got a mail from this address.\n", { subaddress: "bounces" });
  const forwarded = await t.db.prisma.job.findMany({ where: { queue: "out" }, orderBy: { id: "desc" }, take: 1 });
  assert.deepEqual((forwarded[0]!.data as { recipients: string[] }).recipients, ["boss@example.org"]);
  assert.equal((forwarded[0]!.data as { envelopeFrom: string }).envelopeFrom, "", "forwarded with the null sender: a failing owner address cannot loop");
});

test("a vacation reply to a member's VERP address is not a bounce: no score, no event, nothing forwarded (issue 16)", async () => {
  const { bounce, services } = await handlers();
  await t.db.prisma.mailingList.updateMany({ data: { bounceScoreThreshold: 1 } });
  await services.members.add(LIST, { address: "dave@tiny.example.net" });
  await services.members.add(LIST, { address: "boss@example.org", role: "owner" });
  const jobsBefore = await t.db.prisma.job.count({ where: { queue: "out" } });
  for (const [fixture, mailFrom] of [["vacation-verp-autoreply.eml", "dave@tiny.example.net"], ["vacation-verp-autoreply.eml", ""], ["vacation-autoreply.eml", ""]] as const) {
    await deliver(bounce, readFileSync(new URL(`../fixtures/bounces/${fixture}`, import.meta.url)), { subaddress: "bounces", extension: "dave=tiny.example.net", mailFrom });
  }
  const m = await memberRow(t.db, "dave@tiny.example.net");
  assert.deepEqual([m?.deliveryStatus, m?.bounceScore], ["enabled", 0]);
  assert.equal(await t.db.prisma.bounceEvent.count(), 0);
  assert.equal(await t.db.prisma.job.count({ where: { queue: "out" } }), jobsBefore, "nothing forwarded, no notice");
  // The same VERP address with a message that is no auto-reply is trusted, as Mailman does.
  await deliver(bounce, readFileSync(new URL("../fixtures/bounces/verp-only-autoresponder.eml", import.meta.url)), { subaddress: "bounces", extension: "dave=tiny.example.net", mailFrom: "" });
  assert.equal((await memberRow(t.db, "dave@tiny.example.net"))?.deliveryStatus, "by_bounces");
});

test("a temporary bounce is recorded but does not count", async () => {
  const { bounce, services } = await handlers();
  await t.db.prisma.mailingList.updateMany({ data: { bounceScoreThreshold: 1 } });
  await services.members.add(LIST, { address: "dora@slow.example.net" });
  await deliver(bounce, readFileSync(new URL("../fixtures/bounces/dsn-postfix-delayed.eml", import.meta.url)), { subaddress: "bounces", extension: "dora=slow.example.net" });
  const m = await memberRow(t.db, "dora@slow.example.net");
  assert.equal(m?.deliveryStatus, "enabled");
  assert.equal(m?.bounceScore, 0);
  assert.equal((await t.db.prisma.bounceEvent.findFirst())?.kind, "temporary");
});

test("the bounce sweep timer stops when the handler is closed", async () => {
  const { services } = await setUp(t.db);
  const handler = createBounceHandler({ db: t.db, log, services, sweepIntervalMs: 5 });
  let sweeps = 0;
  services.bounces.sweep = async () => { sweeps++; };
  await new Promise((r) => setTimeout(r, 40));
  assert.ok(sweeps > 0, "the timer runs");
  handler.close();
  const before = sweeps;
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(sweeps, before, "no sweep after close");
});
