// Group commit of job transitions (src/queue/group-transition.ts): transitions asked
// for together share a statement; each is fenced by its own claim.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../helpers/db.js";
import { claim, enqueue } from "../../src/queue/jobs.js";
import { createGroupTransition } from "../../src/queue/group-transition.js";

test("group transition", async (t) => {
  const tdb = await createTestDatabase();
  t.after(() => tdb.close());
  const { db } = tdb;

  await t.test("jobs settled at once share one commit; each goes to its own state; a lost claim is left alone", async () => {
    await db.prisma.$transaction((tx) => enqueue(tx, Array.from({ length: 6 }, (_, i) => ({ queue: "out" as const, recipient: `r${i}` }))));
    const jobs = (await claim(db, "out", 10, 60)).sort((a, b) => Number(a.id - b.id));
    assert.equal(jobs.length, 6);
    // The last job's claim was taken over by another worker.
    await db.prisma.job.update({ where: { id: jobs[5]!.id }, data: { lockedBy: "elsewhere:1" } });
    const group = createGroupTransition(db);
    const held = await Promise.all(jobs.map((j, i) => group.transition(j, i % 2 === 0
      ? { state: "done", data: { n: i } }
      : { state: "ready", delaySeconds: 3600, error: `later ${i}`, deferred: true })));
    assert.deepEqual(held, [true, true, true, true, true, false]);
    const rows = await db.prisma.job.findMany({ orderBy: { id: "asc" } });
    assert.deepEqual(rows.map((r) => r.state), ["done", "ready", "done", "ready", "done", "running"]);
    assert.deepEqual(rows[2]!.data, { n: 2 });
    assert.equal(rows[3]!.lastError, "later 3");
    assert.equal(rows[3]!.attempts, 0);
    // The first went alone; the four after it waited for its commit and went together.
    const done = rows.filter((r) => r.state === "done").map((r) => r.finishedAt!.getTime());
    assert.ok(new Set(done).size < 3, "done jobs share a commit");
  });
});
