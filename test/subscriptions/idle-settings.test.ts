// Settings that used to do nothing, acted on as Mailman does: adminNotifyMchanges
// (the owners hear of subscriptions and unsubscriptions) and
// forwardUnrecognizedBouncesTo (administrators, the site owner of
// MAILROOM_SITE_OWNER, or no one), on a real database.
import { after, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../helpers/db.js";
import { createBounceService } from "../../src/services/bounce-scores.js";
import { LIST, queuedNotices, setUp } from "./helpers.js";

const t = await createTestDatabase();
after(() => t.close());
beforeEach(() => t.reset());

test("adminNotifyMchanges: owners are told of each subscription and unsubscription, only when set", async () => {
  const { services } = await setUp(t.db, { subscriptionPolicy: "open", unsubscriptionPolicy: "open" });
  await services.members.add(LIST, { address: "boss@example.org", role: "owner" });
  await services.subscriptions.subscribe(LIST, { address: "ann@example.org", displayName: "Ann" }, "mail");
  assert.deepEqual((await queuedNotices(t.db)).filter((n) => n.to.includes("boss@example.org")), []);
  await services.lists.update(LIST, { adminNotifyMchanges: true });
  await services.subscriptions.subscribe(LIST, { address: "bob@example.org", displayName: "Bob" }, "mail");
  await services.subscriptions.unsubscribe(LIST, "ann@example.org", "mail");
  const toBoss = (await queuedNotices(t.db)).filter((n) => n.to.includes("boss@example.org"));
  assert.deepEqual(toBoss.map((n) => [n.subject, n.text.trim()]), [
    ["Dev subscription notification", "Bob <bob@example.org> is now subscribed to Dev (dev@lists.example.com)."],
    ["Dev unsubscription notification", "Ann <ann@example.org> is no longer subscribed to Dev (dev@lists.example.com)."],
  ]);
});

async function unrecognised(target: string, siteOwner: string | null) {
  const { services, deps } = await setUp(t.db, { forwardUnrecognizedBouncesTo: target });
  await services.members.add(LIST, { address: "boss@example.org", role: "owner" });
  const bounces = createBounceService({ ...deps, config: { ...deps.config, siteOwner } }, services.notices);
  const list = await t.db.prisma.mailingList.findFirstOrThrow();
  const msg = await t.db.prisma.message.create({
    data: { messageId: "<b@x>", messageIdHash: "h", mailFrom: "", rcptTo: ["dev-bounces@lists.example.com"], size: 10, raw: new Uint8Array(Buffer.from("Subject: ?\n\nwhat\n")) },
  });
  const sent = await bounces.forwardUnrecognised(list, msg.id);
  const jobs = await t.db.prisma.job.findMany({ where: { queue: "out" }, select: { data: true } });
  return { sent, notices: await queuedNotices(t.db), envelopes: jobs.map((j) => (j.data as { envelopeFrom: string }).envelopeFrom) };
}

test("forwardUnrecognizedBouncesTo administrators: a notice with the bounce attached, from the null sender", async () => {
  const r = await unrecognised("administrators", "root@example.com");
  assert.equal(r.sent, 1);
  assert.deepEqual(r.notices.map((n) => [n.to, n.subject]), [[["boss@example.org"], "Uncaught bounce notification"]]);
  assert.match(r.notices[0]!.text, /the list administrators/);
  assert.deepEqual(r.envelopes, [""]);
});

test("forwardUnrecognizedBouncesTo site_owner: MAILROOM_SITE_OWNER, or the administrators when none is set", async () => {
  const site = await unrecognised("site_owner", "root@example.com");
  assert.deepEqual(site.notices.map((n) => n.to), [["root@example.com"]]);
  assert.match(site.notices[0]!.text, /the site owner/);
  await t.reset();
  const unset = await unrecognised("site_owner", null);
  assert.deepEqual(unset.notices.map((n) => n.to), [["boss@example.org"]]);
  await t.reset();
  const none = await unrecognised("no_one", "root@example.com");
  assert.equal(none.sent, 0);
  assert.equal(none.notices.length, 0);
});
