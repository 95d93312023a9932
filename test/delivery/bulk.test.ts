import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../helpers/db.js";
import { startSmtpSink } from "../helpers/smtp-sink.js";
import { addMembers, createList, enqueuePost, manyMembers, withDelivery } from "./fixtures.js";
import { until } from "../helpers/wait.js";


test("bulk delivery", async (t) => {
  const tdb = await createTestDatabase();
  const sink = await startSmtpSink();
  t.after(async () => { await sink.close(); await tdb.close(); });
  const { db } = tdb;
  t.beforeEach(async () => { await tdb.reset(); sink.reset(); });

  const deliver = (env: Record<string, string>, fn: () => Promise<void>) => withDelivery(db, { port: sink.port, secret: "test-secret", env }, fn);

  await t.test("every enabled member gets the post exactly once, grouped by domain, chunk size honoured", async () => {
    const list = await createList(db);
    const members = manyMembers(40, 3); // 14 / 13 / 13 per domain
    await addMembers(db, list.id, members);
    await deliver({ MAILROOM_MAX_RECIPIENTS_PER_TRANSACTION: "5" }, async () => {
      await enqueuePost(db, list.listId);
      await sink.waitForAccepted(40);
      await until(async () => (await db.prisma.job.count({ where: { state: { not: "done" } } })) === 0);
    });
    const counts = sink.counts();
    assert.equal(counts.size, 40);
    for (const m of members) assert.equal(counts.get(m.address), 1, m.address);
    for (const msg of sink.messages) {
      assert.equal(msg.mailFrom, "dev-bounces@lists.test");
      assert.ok(msg.rcptTo.length <= 5, `chunk of ${msg.rcptTo.length}`);
      assert.equal(new Set(msg.rcptTo.map((r) => r.split("@")[1])).size, 1, "one domain per transaction");
      assert.match(msg.raw.toString(), /Subject: Hello list/);
    }
    // 14 → 5+5+4, 13 → 5+5+3 (twice): 9 transactions.
    assert.equal(sink.messages.length, 9);
    const post = await db.prisma.job.findFirstOrThrow({ where: { data: { path: ["kind"], equals: "list-post" } } });
    assert.deepEqual([(post.data as { chunks: number }).chunks, (post.data as { recipients: number }).recipients], [9, 40]);
  });

  await t.test("disabled, excluded and non-member roles are skipped; small domains share chunks", async () => {
    const list = await createList(db);
    await addMembers(db, list.id, [
      { address: "Anne@Example.org" }, { address: "bob@example.org", deliveryStatus: "by_user" },
      { address: "cat@example.org", deliveryStatus: "by_bounces" }, { address: "dan@one.test" },
      { address: "eve@two.test" }, { address: "owner@example.org", role: "owner" },
      { address: "mod@example.org", role: "moderator" }, { address: "non@example.org", role: "nonmember" },
      { address: "poster@three.test" },
    ]);
    await deliver({}, async () => {
      await enqueuePost(db, list.listId, { exclude: ["poster@three.test"] });
      await sink.waitForAccepted(3);
      await until(async () => (await db.prisma.job.count({ where: { state: { not: "done" } } })) === 0);
    });
    assert.deepEqual([...sink.counts().keys()].sort(), ["anne@example.org", "dan@one.test", "eve@two.test"]);
    // The member's own spelling of the local part goes into RCPT TO.
    assert.ok(sink.messages.some((m) => m.rcptTo.some((r) => r.startsWith("Anne@"))), JSON.stringify(sink.messages.map((m) => m.rcptTo)));
    assert.equal(sink.messages.length, 1, "three one-member domains packed into one transaction");
  });

  await t.test("4xx is retried for that recipient only and then succeeds; 5xx becomes a bounce event", async () => {
    const list = await createList(db);
    await addMembers(db, list.id, [{ address: "a@x.test" }, { address: "b@x.test" }, { address: "c@x.test" }]);
    sink.failNext("b@x.test", 451, "4.3.0 Temporary lookup failure", 1);
    sink.failAlways("c@x.test", 550, "5.1.1 <c@x.test>: Recipient address rejected: User unknown");
    await deliver({ MAILROOM_DELIVERY_RETRY_WAIT: "1" }, async () => {
      await enqueuePost(db, list.listId);
      await sink.waitForAccepted(2);
      await until(async () => (await db.prisma.job.count({ where: { state: { not: "done" } } })) === 0);
    });
    const counts = sink.counts();
    assert.equal(counts.get("a@x.test"), 1);
    assert.equal(counts.get("b@x.test"), 1);
    assert.equal(counts.get("c@x.test"), undefined);
    assert.equal(sink.messages.length, 2, "first try to a, the retry to b alone");
    assert.deepEqual(sink.messages[1]!.rcptTo, ["b@x.test"]);
    const bounces = await db.prisma.bounceEvent.findMany();
    assert.equal(bounces.length, 1);
    assert.equal(bounces[0]!.addressKey, "c@x.test");
    assert.equal(bounces[0]!.kind, "permanent");
    assert.equal(bounces[0]!.listId, list.id);
    assert.match(bounces[0]!.reason, /^550 5\.1\.1/);
    assert.match(bounces[0]!.messageId, /^<.*@test>$/);
    const chunk = await db.prisma.job.findFirstOrThrow({ where: { data: { path: ["kind"], equals: "chunk" } } });
    const data = chunk.data as { rcpt: string[]; failed: [number, string][]; pending?: number[] };
    assert.equal(data.pending, undefined);
    assert.deepEqual(data.failed.map(([i]) => data.rcpt[i]), ["c@x.test"]);
  });

  await t.test("a 4xx still refused at the deadline is given up and recorded", async () => {
    const list = await createList(db);
    await addMembers(db, list.id, [{ address: "a@x.test" }, { address: "slow@x.test" }]);
    sink.failAlways("slow@x.test", 452, "4.2.2 Mailbox full");
    await deliver({ MAILROOM_DELIVERY_RETRY_PERIOD: "2" }, async () => {
      await enqueuePost(db, list.listId);
      await until(async () => (await db.prisma.job.count({ where: { state: { not: "done" } } })) === 0, 20_000);
    });
    assert.equal(sink.counts().get("a@x.test"), 1);
    const chunk = await db.prisma.job.findFirstOrThrow({ where: { data: { path: ["kind"], equals: "chunk" } } });
    const data = chunk.data as { rcpt: string[]; expired: [number, string][] };
    assert.deepEqual(data.expired.map(([i]) => data.rcpt[i]), ["slow@x.test"]);
    assert.match(data.expired[0]![1], /452 4\.2\.2 Mailbox full/);
    assert.equal(await db.prisma.bounceEvent.count(), 0, "a temporary failure is no bounce");
  });

  await t.test("an unreachable MTA defers the whole chunk, which goes out once it is back", async () => {
    const list = await createList(db);
    await addMembers(db, list.id, [{ address: "a@x.test" }, { address: "b@y.test" }]);
    const down = await startSmtpSink();
    const port = down.port;
    await down.close(); // nothing listens on `port` now: connection refused
    let back = null as Awaited<ReturnType<typeof startSmtpSink>> | null;
    try {
      await withDelivery(db, { port, secret: "s" }, async () => {
        await enqueuePost(db, list.listId);
        await until(async () => (await db.prisma.job.count({ where: { lastError: { not: null } } })) > 0);
        back = await startSmtpSink({ port });
        await back.waitForAccepted(2);
        await until(async () => (await db.prisma.job.count({ where: { state: { not: "done" } } })) === 0);
      });
    } finally {
      await back?.close();
    }
    assert.deepEqual([...back!.counts().entries()].sort(), [["a@x.test", 1], ["b@y.test", 1]]);
  });
});
