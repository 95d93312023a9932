import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../helpers/db.js";
import { enqueue, queueDepths, claim, releaseDeadWorkers, JOBS_CHANNEL } from "../../src/queue/jobs.js";
import { complete, retryLater, shunt } from "../../src/queue/transitions.js";
import { startRunner, RetryLater, PermanentFailure, type JobHandler } from "../../src/queue/runner.js";
import { createLogger } from "../../src/log.js";
import { until } from "../helpers/wait.js";

const log = createLogger("silent");


test("queue runner", async (t) => {
  const tdb = await createTestDatabase();
  t.after(() => tdb.close());
  const { db } = tdb;
  t.beforeEach(() => tdb.reset());

  await t.test("a job enqueued in a committed transaction is handled once and marked done", async () => {
    const seen: string[] = [];
    const h: JobHandler = { queue: "command", concurrency: 2, maxAttempts: 3, handle: async (job) => { seen.push(job.recipient!); } };
    const runner = await startRunner({ db, log, handlers: [h], leaseSeconds: 30, pollMs: 5000 });
    await db.prisma.$transaction(async (tx) => {
      await enqueue(tx, [{ queue: "command", recipient: "a" }, { queue: "command", recipient: "b" }, { queue: "owner", recipient: "c" }]);
    });
    // Woken by NOTIFY, not by the 5 s poll.
    await until(async () => (await db.prisma.job.count({ where: { state: "done" } })) === 2, 4000);
    await runner.stop();
    assert.deepEqual(seen.sort(), ["a", "b"]);
    const owner = await db.prisma.job.findFirstOrThrow({ where: { queue: "owner" } });
    assert.equal(owner.state, "ready");
  });

  await t.test("a rolled-back enqueue leaves no job", async () => {
    await assert.rejects(db.prisma.$transaction(async (tx) => {
      await enqueue(tx, [{ queue: "list" }]);
      throw new Error("boom");
    }));
    assert.equal(await db.prisma.job.count(), 0);
  });

  await t.test("failures retry with backoff, then shunt with the error kept; PermanentFailure shunts at once", async () => {
    let calls = 0;
    const h: JobHandler = {
      queue: "list", concurrency: 1, maxAttempts: 2,
      handle: async (job) => {
        if (job.recipient === "permanent") throw new PermanentFailure("cannot ever work");
        calls++;
        throw new Error(`try ${calls}`);
      },
    };
    await db.prisma.$transaction((tx) => enqueue(tx, [{ queue: "list", recipient: "flaky" }, { queue: "list", recipient: "permanent" }]));
    const runner = await startRunner({ db, log, handlers: [h], leaseSeconds: 30, pollMs: 50 });
    await until(async () => (await db.prisma.job.count({ where: { state: "shunt" } })) === 2);
    await runner.stop();
    const flaky = await db.prisma.job.findFirstOrThrow({ where: { recipient: "flaky" } });
    assert.equal(flaky.attempts, 2);
    assert.match(flaky.lastError!, /try 2/);
    const permanent = await db.prisma.job.findFirstOrThrow({ where: { recipient: "permanent" } });
    assert.equal(permanent.attempts, 1);
    assert.match(permanent.lastError!, /cannot ever work/);
    const depths = await queueDepths(db);
    assert.deepEqual(depths.find((d) => d.name === "shunt")?.depth, 2);
    assert.deepEqual(depths.find((d) => d.name === "list")?.depth, 0);
  });

  await t.test("RetryLater puts the job back with its new data and a later run time", async () => {
    const h: JobHandler = {
      queue: "out", concurrency: 1, maxAttempts: 5,
      handle: async (job) => {
        if (!(job.data as { step?: number }).step) throw new RetryLater("4xx from MTA", 3600, { step: 1 });
      },
    };
    await db.prisma.$transaction((tx) => enqueue(tx, [{ queue: "out" }]));
    const runner = await startRunner({ db, log, handlers: [h], leaseSeconds: 30, pollMs: 50 });
    await until(async () => (await db.prisma.job.count({ where: { lastError: "4xx from MTA" } })) === 1);
    await runner.stop();
    const job = await db.prisma.job.findFirstOrThrow();
    assert.equal(job.state, "ready");
    assert.deepEqual(job.data, { step: 1 });
    assert.ok(job.runAt.getTime() > Date.now() + 3000 * 1000);
  });

  await t.test("two claimers never get the same job (FOR UPDATE SKIP LOCKED)", async () => {
    await db.prisma.$transaction((tx) => enqueue(tx, Array.from({ length: 20 }, (_, i) => ({ queue: "bounces" as const, recipient: String(i) }))));
    const [a, b] = await Promise.all([claim(db, "bounces", 10, 30), claim(db, "bounces", 10, 30)]);
    const ids = [...a, ...b].map((j) => j.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids.length, 20);
  });

  await t.test("a job held by a dead process on this host is released at start", async () => {
    await db.prisma.$transaction((tx) => enqueue(tx, [{ queue: "list" }]));
    const host = (await import("node:os")).hostname();
    await db.prisma.job.updateMany({ data: { state: "running", lockedBy: `${host}:999999999`, lockedAt: new Date() } });
    assert.equal(await releaseDeadWorkers(db), 1);
    assert.equal((await db.prisma.job.findFirstOrThrow()).state, "ready");
  });

  await t.test("a worker whose job was claimed again after its lease ran out cannot settle it", async () => {
    await db.prisma.$transaction((tx) => enqueue(tx, [{ queue: "owner" }]));
    const [stale] = await claim(db, "owner", 1, 60);
    await db.prisma.job.updateMany({ data: { lockedAt: new Date(Date.now() - 120_000) } });
    const [fresh] = await claim(db, "owner", 1, 60);
    assert.equal(fresh!.attempts, stale!.attempts + 1);
    await complete(db.prisma, stale!);
    await shunt(db.prisma, stale!, "late");
    await retryLater(db.prisma, stale!, "late", 0);
    const row = await db.prisma.job.findFirstOrThrow();
    assert.equal(row.state, "running");
    assert.equal(row.lastError, null);
    await complete(db.prisma, fresh!);
    assert.equal((await db.prisma.job.findFirstOrThrow()).state, "done");
  });

  await t.test("a job this process is still running is not claimed again when its lease looks expired", async () => {
    await db.prisma.$transaction((tx) => enqueue(tx, [{ queue: "owner" }]));
    const [mine] = await claim(db, "owner", 1, 60);
    // The heartbeat is late (it waited behind other queries): the lease looks expired.
    await db.prisma.job.updateMany({ data: { lockedAt: new Date(Date.now() - 120_000) } });
    assert.equal((await claim(db, "owner", 5, 60, [mine!.id])).length, 0);
    await complete(db.prisma, mine!);
    assert.equal((await db.prisma.job.findFirstOrThrow()).state, "done");
  });

  await t.test("a running job whose lease ran out is claimed again", async () => {
    await db.prisma.$transaction((tx) => enqueue(tx, [{ queue: "owner" }]));
    await db.prisma.job.updateMany({ data: { state: "running", lockedBy: "elsewhere:1", lockedAt: new Date(Date.now() - 120_000) } });
    assert.equal((await claim(db, "owner", 5, 60)).length, 1);
  });

  await t.test("a handler that settled its job itself says so, and the runner writes nothing more", async () => {
    // This handler says "settled" without moving the job: the row shows the runner left it alone.
    const h: JobHandler = { queue: "owner", concurrency: 1, maxAttempts: 3, handle: async () => "settled" };
    await db.prisma.$transaction((tx) => enqueue(tx, [{ queue: "owner" }]));
    const runner = await startRunner({ db, log, handlers: [h], leaseSeconds: 30, pollMs: 50 });
    await until(async () => (await db.prisma.job.findFirstOrThrow()).attempts === 1);
    await new Promise((r) => setTimeout(r, 200));
    await runner.stop();
    assert.equal((await db.prisma.job.findFirstOrThrow()).state, "running");
  });

  await t.test("work enqueued after-commit for a queue this process runs wakes its worker in memory, without a NOTIFY", async () => {
    const heard: string[] = [];
    const unlisten = await db.listen(JOBS_CHANNEL, (q) => heard.push(q));
    const h: JobHandler = { queue: "command", concurrency: 1, maxAttempts: 3, handle: async () => {} };
    const runner = await startRunner({ db, log, handlers: [h], leaseSeconds: 30, pollMs: 5000 });
    // Let the runner's first claim go by: it then sleeps for its 5 s poll.
    await new Promise((r) => setTimeout(r, 200));
    const wake = await db.prisma.$transaction((tx) => enqueue(tx, [{ queue: "command" }, { queue: "owner" }], "after-commit"));
    wake();
    await until(async () => (await db.prisma.job.count({ where: { state: "done" } })) === 1, 3000);
    await runner.stop();
    // "owner" is not run here: its workers elsewhere were sent a NOTIFY.
    await until(async () => heard.includes("owner"), 3000);
    await unlisten();
    assert.deepEqual(heard, ["owner"]);
  });
});
