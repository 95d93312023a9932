// The janitor (src/queue/janitor.ts) on a real database: old done jobs go, then old
// messages nothing refers to; live, shunted and recent jobs, held messages' messages
// and the archive stay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../helpers/db.js";
import { createLogger } from "../../src/log.js";
import { startJanitor, sweep } from "../../src/queue/janitor.js";
import { until } from "../helpers/wait.js";

const DAY = 86_400_000;

test("janitor", async (t) => {
  const tdb = await createTestDatabase();
  t.after(() => tdb.close());
  const { db } = tdb;
  const p = db.prisma;
  t.beforeEach(() => tdb.reset());

  const ago = (days: number) => new Date(Date.now() - days * DAY);
  const message = async (days: number) =>
    (await p.message.create({ data: { messageId: `<m${Math.random()}@x>`, messageIdHash: "H", mailFrom: "a@x", rcptTo: [], size: 1, raw: Buffer.from("x"), receivedAt: ago(days) } })).id;
  const job = async (messageId: bigint | null, state: "ready" | "done" | "shunt", finishedDaysAgo: number | null) =>
    (await p.job.create({ data: { queue: "out", state, messageId, finishedAt: finishedDaysAgo === null ? null : ago(finishedDaysAgo) } })).id;

  await t.test("deletes old done jobs and unreferenced old messages, in batches, and nothing else", async () => {
    const gone = await message(10); // its only job is old and done
    const goneJob = await job(gone, "done", 9);
    const oldDoneJobs = await Promise.all([1, 2, 3, 4, 5].map(() => job(null, "done", 8)));
    const recentDone = await message(10); // a job finished yesterday still refers to it
    const recentJob = await job(recentDone, "done", 1);
    const shunted = await message(10);
    const shuntJob = await job(shunted, "shunt", null);
    const waiting = await message(10);
    await job(waiting, "ready", null);
    const held = await message(10);
    const d = await p.domain.create({ data: { mailHost: "example.com" } });
    const l = await p.mailingList.create({ data: { listName: "l", mailHost: "example.com", listId: "l.example.com", domainId: d.id, displayName: "l", subjectPrefix: "" } });
    await p.heldMessage.create({ data: { listId: l.id, messageId: held, sender: "a@x", reason: "r" } });
    await p.archivedMessage.create({ data: { listId: l.id, messageId: "<a@x>", messageIdHash: "A", raw: Buffer.from("x"), archivedAt: ago(30) } });
    const fresh = await message(0);

    const n = await sweep(db, 7 * 86_400, 2);
    assert.deepEqual(n, { jobs: 6, messages: 1 });
    assert.equal(await p.job.count({ where: { id: { in: [goneJob, ...oldDoneJobs] } } }), 0);
    assert.equal(await p.job.count({ where: { id: { in: [recentJob, shuntJob] } } }), 2);
    assert.deepEqual((await p.message.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((m) => m.id), [recentDone, shunted, waiting, held, fresh]);
    assert.ok(!(await p.message.findUnique({ where: { id: gone } })));
    assert.equal(await p.archivedMessage.count(), 1);
    assert.equal(await p.job.count(), 3);
  });

  await t.test("startJanitor sweeps on its interval and stops", async () => {
    const m = await message(10);
    await job(m, "done", 9);
    const janitor = startJanitor({ db, log: createLogger("silent"), retentionSeconds: 60, intervalMs: 20 });
    await until(async () => (await p.message.count()) === 0, 3000);
    await janitor.stop();
    assert.equal(await p.job.count(), 0);
  });
});
