// Subscription workflows (src/services/subscriptions.ts) on a real database: each
// policy, confirmation tokens (single use, expiry), moderation decisions, notices.
import { after, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../helpers/db.js";
import { createSubscriptionService } from "../../src/services/subscriptions.js";
import { LIST, memberRow, queuedNotices, setUp } from "./helpers.js";

const t = await createTestDatabase();
after(() => t.close());
beforeEach(() => t.reset());

async function service(settings: Record<string, unknown> = {}, clock?: { now: Date }) {
  const { deps, services } = await setUp(t.db, settings);
  return { subs: createSubscriptionService(deps, services.notices, clock ? { now: () => clock.now } : {}), services };
}

test("confirm policy: a join by mail sends a confirmation; confirming subscribes and welcomes", async () => {
  const { subs } = await service();
  const o = await subs.subscribe(LIST, { address: "Anne@Example.org", displayName: "Anne" }, "mail");
  assert.equal(o.status, "awaiting_confirmation");
  const token = (o as { token: string }).token;
  assert.match(token, /^[0-9a-f]{40}$/);
  assert.equal(await memberRow(t.db, "anne@example.org"), null);
  const [confirmation] = await queuedNotices(t.db);
  assert.deepEqual(confirmation!.to, ["Anne@example.org"]);
  assert.equal(confirmation!.subject, `confirm ${token}`);
  assert.equal(confirmation!.replyTo, `dev-confirm+${token}@lists.example.com`);
  assert.equal(confirmation!.headers.get("auto-submitted"), "auto-generated");

  assert.deepEqual(await subs.confirm(null, token), { status: "subscribed", address: "Anne@example.org" });
  assert.equal((await memberRow(t.db, "anne@example.org"))?.displayName, "Anne");
  const notices = await queuedNotices(t.db);
  assert.match(notices[1]!.subject, /^Welcome to the "Dev" mailing list/);
  // Single use.
  await assert.rejects(subs.confirm(null, token), /no pending confirmation/);
});

test("a second join while one is pending reuses the request and sends nothing new", async () => {
  const { subs } = await service();
  const a = await subs.subscribe(LIST, { address: "anne@example.org" }, "mail");
  const b = await subs.subscribe(LIST, { address: "ANNE@example.org" }, "mail");
  assert.deepEqual(a, b);
  assert.equal((await queuedNotices(t.db)).length, 1);
});

test("tokens expire", async () => {
  const clock = { now: new Date("2024-05-01T00:00:00Z") };
  const { subs } = await service({}, clock);
  const o = await subs.subscribe(LIST, { address: "anne@example.org" }, "mail") as { token: string };
  clock.now = new Date("2024-05-04T00:00:01Z");
  await assert.rejects(subs.confirm(LIST, o.token), /no pending confirmation/);
  assert.equal((await subs.pending(LIST, {})).total, 0);
});

test("open policy by mail subscribes at once; REST with confirm:true still invites", async () => {
  const { subs } = await service({ subscriptionPolicy: "open" });
  assert.equal((await subs.subscribe(LIST, { address: "bart@example.org" }, "mail")).status, "subscribed");
  assert.equal((await subs.subscribe(LIST, { address: "bart@example.org" }, "mail")).status, "already_member");
  assert.equal((await subs.subscribe(LIST, { address: "cora@example.org", confirm: true }, "rest")).status, "awaiting_confirmation");
  assert.equal((await subs.subscribe(LIST, { address: "dave@example.org", confirm: false }, "rest")).status, "subscribed");
});

test("confirm_then_moderate: confirmation, then moderators are asked, then accept subscribes", async () => {
  const { subs, services } = await service({ subscriptionPolicy: "confirm_then_moderate" });
  await services.members.add(LIST, { address: "owner@example.org", role: "owner" });
  await services.members.add(LIST, { address: "mod@example.org", role: "moderator" });
  const o = await subs.subscribe(LIST, { address: "erin@example.org" }, "mail") as { token: string };
  const c = await subs.confirm(LIST, o.token);
  assert.equal(c.status, "awaiting_moderation");
  const notices = await queuedNotices(t.db);
  assert.deepEqual(notices[1]!.to, ["owner@example.org", "mod@example.org"]);
  assert.match(notices[1]!.text, new RegExp(`/lists/dev.lists.example.com/requests/${o.token}`));
  const page = await subs.pending(LIST, {});
  assert.equal(page.total, 1);
  assert.equal(page.items[0]!.state, "awaiting_moderation");
  assert.equal((await subs.moderate(LIST, o.token, "defer")).status, "deferred");
  assert.equal((await subs.moderate(LIST, o.token, "accept")).status, "subscribed");
  assert.ok(await memberRow(t.db, "erin@example.org"));
  assert.equal((await subs.pending(LIST, {})).total, 0);
});

test("moderate policy: reject tells the subscriber why; discard is silent", async () => {
  const { subs } = await service({ subscriptionPolicy: "moderate" });
  const a = await subs.subscribe(LIST, { address: "fay@example.org" }, "mail") as { token: string; status: string };
  assert.equal(a.status, "awaiting_moderation");
  await subs.moderate(LIST, a.token, "reject", "members only");
  const b = await subs.subscribe(LIST, { address: "gus@example.org" }, "mail") as { token: string };
  const before = (await queuedNotices(t.db)).length;
  await subs.moderate(LIST, b.token, "discard");
  const notices = await queuedNotices(t.db);
  assert.equal(notices.length, before);
  const rejection = notices.find((n) => n.to[0] === "fay@example.org" && /rejected/.test(n.subject))!;
  assert.match(rejection.text, /^    members only$/m);
  await assert.rejects(subs.moderate(LIST, b.token, "accept"), /no pending request/);
});

test("leave by mail with unsubscription policy confirm needs a confirmation; open removes at once", async () => {
  const { subs, services } = await service();
  await services.members.add(LIST, { address: "hal@example.org" });
  const o = await subs.unsubscribe(LIST, "hal@example.org", "mail") as { token: string; status: string };
  assert.equal(o.status, "awaiting_confirmation");
  assert.ok(await memberRow(t.db, "hal@example.org"));
  assert.equal((await subs.confirm(LIST, o.token)).status, "unsubscribed");
  assert.equal(await memberRow(t.db, "hal@example.org"), null);
  assert.match((await queuedNotices(t.db)).at(-1)!.subject, /You have left/);
  assert.equal((await subs.unsubscribe(LIST, "nobody@example.org", "mail")).status, "not_member");
  await t.db.prisma.mailingList.updateMany({ data: { unsubscriptionPolicy: "open" } });
  await services.members.add(LIST, { address: "ida@example.org" });
  assert.equal((await subs.unsubscribe(LIST, "IDA@example.org", "mail")).status, "unsubscribed");
});

test("who follows memberRosterVisibility", async () => {
  const { subs, services } = await service();
  await services.members.add(LIST, { address: "jo@example.org" });
  await services.members.add(LIST, { address: "mod@example.org", role: "moderator" });
  assert.equal(await subs.roster(LIST, "jo@example.org"), null);
  assert.deepEqual(await subs.roster(LIST, "mod@example.org"), ["jo@example.org"]);
  await t.db.prisma.mailingList.updateMany({ data: { memberRosterVisibility: "members" } });
  assert.deepEqual(await subs.roster(LIST, "jo@example.org"), ["jo@example.org"]);
  assert.equal(await subs.roster(LIST, "stranger@example.org"), null);
});
