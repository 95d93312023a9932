// Bounce scoring over time (src/services/bounce-scores.ts) with a settable clock:
// one count a day, stale scores restart, disable at the threshold, warnings at their
// interval, removal after the last; delivery's 5xx events are scored by the sweep.
import { ensureAddresses } from "../../src/services/address-book.js";
import { after, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../helpers/db.js";
import { createBounceService } from "../../src/services/bounce-scores.js";
import type { BounceReport } from "../../src/domain/bounce-report.js";
import { LIST, memberRow, queuedNotices, setUp } from "./helpers.js";

const t = await createTestDatabase();
after(() => t.close());
beforeEach(() => t.reset());

const DAY = 24 * 3600 * 1000;
const report = (address: string, kind: "permanent" | "temporary" = "permanent"): BounceReport =>
  ({ recognised: true, format: "dsn", messageId: "<b@x>", subject: "", recipients: [{ address, kind, status: "5.1.1" }] });

async function world(settings: Record<string, unknown>) {
  const { deps, services } = await setUp(t.db, settings);
  const clock = { now: new Date("2024-06-01T10:00:00Z") };
  const bounces = createBounceService(deps, services.notices, { now: () => clock.now });
  await services.members.add(LIST, { address: "anne@example.org" });
  await services.members.add(LIST, { address: "boss@example.org", role: "owner" });
  const list = (await t.db.prisma.mailingList.findFirst())!;
  return { bounces, services, clock, list };
}

test("a score counts once a day, restarts when stale, and disables at the threshold", async () => {
  const { bounces, clock, list } = await world({ bounceScoreThreshold: 3, bounceInfoStaleAfter: 5 * 24 * 3600 });
  await bounces.record(list.id, report("anne@example.org"));
  await bounces.record(list.id, report("Anne@Example.org"));
  assert.equal((await memberRow(t.db, "anne@example.org"))?.bounceScore, 1, "same day counts once");
  clock.now = new Date(clock.now.getTime() + DAY);
  await bounces.record(list.id, report("anne@example.org"));
  assert.equal((await memberRow(t.db, "anne@example.org"))?.bounceScore, 2);
  clock.now = new Date(clock.now.getTime() + 6 * DAY);
  await bounces.record(list.id, report("anne@example.org"));
  assert.equal((await memberRow(t.db, "anne@example.org"))?.bounceScore, 1, "stale score restarts");
  for (let i = 0; i < 2; i++) {
    clock.now = new Date(clock.now.getTime() + DAY);
    await bounces.record(list.id, report("anne@example.org"));
  }
  const m = await memberRow(t.db, "anne@example.org");
  assert.equal(m?.deliveryStatus, "by_bounces");
  assert.equal(m?.totalWarningsSent, 1);
  const notices = await queuedNotices(t.db);
  assert.ok(notices.some((n) => n.to[0] === "boss@example.org" && /disabled/.test(n.subject)));
  assert.ok(notices.some((n) => n.to[0] === "anne@example.org" && /on hold/.test(n.subject)));
});

test("warnings go out at their interval, then the member is removed and the owner told", async () => {
  const { bounces, clock, list } = await world({ bounceScoreThreshold: 1, bounceYouAreDisabledWarnings: 2, bounceYouAreDisabledWarningsInterval: 7 * 24 * 3600 });
  await bounces.record(list.id, report("anne@example.org"));
  await bounces.sweep();
  assert.equal((await memberRow(t.db, "anne@example.org"))?.totalWarningsSent, 1, "not due yet");
  clock.now = new Date(clock.now.getTime() + 7 * DAY);
  await bounces.sweep();
  assert.equal((await memberRow(t.db, "anne@example.org"))?.totalWarningsSent, 2);
  clock.now = new Date(clock.now.getTime() + 7 * DAY);
  await bounces.sweep();
  assert.equal(await memberRow(t.db, "anne@example.org"), null);
  assert.match((await queuedNotices(t.db)).at(-1)!.subject, /removed from Dev after bounces/);
});

test("temporary bounces and non-members are recorded or ignored without scoring", async () => {
  const { bounces, list } = await world({ bounceScoreThreshold: 1 });
  const r = await bounces.record(list.id, { ...report("anne@example.org", "temporary"), recipients: [...report("anne@example.org", "temporary").recipients, { address: "x@y.example", kind: "permanent" }] });
  assert.deepEqual(r, { recorded: 1, unknown: ["x@y.example"] });
  assert.equal((await memberRow(t.db, "anne@example.org"))?.deliveryStatus, "enabled");
});

test("5xx events recorded by delivery are scored by the sweep; re-enabling starts afresh", async () => {
  const { bounces, services, clock, list } = await world({ bounceScoreThreshold: 1 });
  await t.db.prisma.bounceEvent.create({ data: { listId: list.id, address: "anne@example.org", addressKey: "anne@example.org", kind: "permanent", reason: "550 5.1.1 no such user" } });
  await bounces.sweep();
  assert.equal((await memberRow(t.db, "anne@example.org"))?.deliveryStatus, "by_bounces");
  assert.equal(await t.db.prisma.bounceEvent.count({ where: { processed: false } }), 0);
  await services.members.update(LIST, "anne@example.org", "member", { deliveryStatus: "enabled" });
  clock.now = new Date(clock.now.getTime() + DAY);
  await bounces.record(list.id, report("anne@example.org"));
  const m = await memberRow(t.db, "anne@example.org");
  assert.equal(m?.bounceScore, 1);
  assert.equal(m?.deliveryStatus, "by_bounces");
  assert.equal(m?.totalWarningsSent, 1);
});

test("past 1,000 disabled members the due ones are still warned, oldest first", async () => {
  const { bounces, clock, list } = await world({ bounceYouAreDisabledWarnings: 5, bounceYouAreDisabledWarningsInterval: 7 * 24 * 3600 });
  const ids = await ensureAddresses(t.db, Array.from({ length: 1001 }, (_, i) => ({ address: `m${i}@example.org`, key: `m${i}@example.org`, name: "" })), true);
  await t.db.prisma.member.createMany({
    data: Array.from({ length: 1001 }, (_, i) => ({
      listId: list.id, addressId: ids.get(`m${i}@example.org`)!, address: `m${i}@example.org`, addressKey: `m${i}@example.org`, deliveryStatus: "by_bounces" as const,
      lastWarningSent: i === 1000 ? new Date(clock.now.getTime() - 8 * DAY) : clock.now, totalWarningsSent: 1,
    })),
  });
  await bounces.sweep();
  assert.equal((await memberRow(t.db, "m1000@example.org"))?.totalWarningsSent, 2, "the due member is warned");
  assert.equal(await t.db.prisma.member.count({ where: { totalWarningsSent: 2 } }), 1, "the others are not due");
});

test("overlapping sweeps warn a member once", async () => {
  const { bounces, list } = await world({ bounceYouAreDisabledWarnings: 5 });
  await t.db.prisma.member.update({ where: { listId_role_addressKey: { listId: list.id, role: "member", addressKey: "anne@example.org" } }, data: { deliveryStatus: "by_bounces" } });
  await Promise.all([bounces.sweep(), bounces.sweep(), bounces.sweep()]);
  assert.equal((await memberRow(t.db, "anne@example.org"))?.totalWarningsSent, 1);
  assert.equal((await queuedNotices(t.db)).filter((n) => n.to[0] === "anne@example.org").length, 1);
});

test("a backlog of more than one batch of events is scored", async () => {
  const { bounces, list } = await world({ bounceScoreThreshold: 100 });
  await t.db.prisma.bounceEvent.createMany({
    data: Array.from({ length: 1201 }, () => ({ listId: list.id, address: "x@y.example", addressKey: "x@y.example", kind: "permanent" as const, reason: "550" })),
  });
  await bounces.sweep();
  assert.equal(await t.db.prisma.bounceEvent.count({ where: { processed: false } }), 0);
});

test("verp_probes: the threshold sends a probe with its own VERP return path instead of disabling; its bounce disables", async () => {
  const { bounces, list } = await world({ bounceScoreThreshold: 1, verpProbes: true });
  await bounces.record(list.id, report("anne@example.org"));
  let m = await memberRow(t.db, "anne@example.org");
  assert.equal(m?.deliveryStatus, "enabled", "not disabled before the probe bounces");
  assert.equal(m?.bounceScore, 0, "the probe starts the score again (Mailman's send_probe)");
  const probe = (await t.db.prisma.job.findMany({ where: { queue: "out" }, include: { message: true } }))
    .find((j) => (j.data as { recipients: string[] }).recipients[0] === "anne@example.org")!;
  const envelopeFrom = (probe.data as { envelopeFrom: string }).envelopeFrom;
  const token = /^dev-bounces\+([0-9a-f]{32})@lists\.example\.com$/.exec(envelopeFrom)?.[1];
  assert.ok(token, envelopeFrom);
  assert.match(Buffer.from(probe.message!.raw).toString(), /^Subject: Dev mailing list probe message/m);
  assert.doesNotMatch(Buffer.from(probe.message!.raw).toString(), /^Precedence:/m);

  assert.equal(await bounces.recordProbe(list, "0".repeat(32), "5.1.1", "<x@y>"), null, "an unknown token is not a probe");
  assert.deepEqual(await bounces.recordProbe(list, token, "5.1.1 user unknown", "<probe-bounce@mx>"), { address: "anne@example.org", disabled: true });
  m = await memberRow(t.db, "anne@example.org");
  assert.equal(m?.deliveryStatus, "by_bounces");
  const events = await t.db.prisma.bounceEvent.findMany({ where: { context: "probe" } });
  assert.equal(events.length, 1);
  assert.equal(await bounces.recordProbe(list, token, "5.1.1", "<again@mx>"), null, "a token counts once");
  const notices = await queuedNotices(t.db);
  assert.ok(notices.some((n) => n.to[0] === "boss@example.org" && /disabled/.test(n.subject) && /probe/.test(n.text)));
});

test("verp_probes follows the site setting unless the list sets it", async () => {
  const { bounces, list } = await world({ bounceScoreThreshold: 1 });
  assert.equal(list.verpProbes, null);
  await bounces.record(list.id, report("anne@example.org"));
  assert.equal((await memberRow(t.db, "anne@example.org"))?.deliveryStatus, "by_bounces", "site default (MAILROOM_VERP_PROBES unset): no probe, as Mailman's verp_probes: no");
  assert.equal(await t.db.prisma.bounceProbe.count(), 0);
});

test("a probe template written for Mailman renders: $address, $email and $owneraddr are filled in (send_probe)", async () => {
  const { bounces, list } = await world({ bounceScoreThreshold: 1, verpProbes: true });
  await t.db.prisma.template.create({ data: { scope: "list", scopeKey: list.listId, name: "list:user:notice:probe", uri: "", text: "[$address|$email|$owneraddr]" } });
  await bounces.record(list.id, report("anne@example.org"));
  const probe = (await t.db.prisma.job.findMany({ where: { queue: "out" }, include: { message: true } }))
    .find((j) => (j.data as { recipients: string[] }).recipients[0] === "anne@example.org")!;
  assert.match(Buffer.from(probe.message!.raw).toString(), /\[anne@example\.org\|anne@example\.org\|dev-owner@lists\.example\.com\]/);
});
