// A post to a list whose roster fits one chunk goes from the list stage straight to
// its chunk jobs (delivery/expand.ts outJobsQuery): one job row, one claim and one
// commit less than the list-post hop, which a bigger list still takes. And kill -9
// after the list stage, with the chunk in flight, still delivers after a restart.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";
import { startServer } from "../helpers/server-process.js";
import { until } from "../helpers/wait.js";
import { loadConfig } from "../../src/config/index.js";
import { createDeliveryHandler } from "../../src/delivery/handler.js";
import { createListQueueHandler } from "../../src/pipeline/list-queue.js";
import { startRunner } from "../../src/queue/runner.js";
import { addMember, createList, insertPost, quietLog } from "../pipeline/db-helpers.js";
import { fakeDmarc, message } from "../pipeline/helpers.js";

let t: TestDatabase;
let sink: SmtpSink;
before(async () => { t = await createTestDatabase(); sink = await startSmtpSink(); });
after(async () => { await sink.close(); await t.close(); });
beforeEach(async () => { await t.reset(); sink.reset(); });

/** The list stage and delivery wired as workers.ts does, sending to the sink, while `fn` runs. */
async function withWorkers(env: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  const config = loadConfig({ MAILROOM_SMTP_PORT: String(sink.port), ...env });
  const delivery = createDeliveryHandler({ db: t.db, config, secret: "s" });
  const list = createListQueueHandler({ db: t.db, log: quietLog, dmarc: fakeDmarc({}), outJobs: delivery.outJobsFor, outJobsOfRow: delivery.outJobsOfRow });
  const runner = await startRunner({ db: t.db, log: quietLog, handlers: [list, delivery], leaseSeconds: 30, pollMs: 5000 });
  try { await fn(); } finally { await runner.stop(); delivery.close(); }
}

const post = (id: string) => message(["From: anne@example.com", "To: test@example.com", `Message-ID: <${id}@example.com>`, "Subject: hi"]);

describe("inline expansion", () => {
  it("a list whose roster fits one chunk: the list job writes the chunk job, no list-post job, every member gets the post", async () => {
    const list = await createList(t.db, { personalize: "none" });
    for (const a of ["anne@example.com", "bob@example.net", "carol@example.org"]) await addMember(t.db, list, a);
    await insertPost(t.db, post("small"));
    // The poll is 5 s: each hop is woken in memory (list job by NOTIFY from this test, chunk by the list stage).
    await withWorkers({}, () => sink.waitForAccepted(3, 4000));
    const jobs = await t.db.prisma.job.findMany({ orderBy: { id: "asc" } });
    assert.deepEqual(jobs.map((j) => [j.queue, (j.data as { kind?: string }).kind ?? null, j.state]),
      [["list", null, "done"], ["out", "chunk", "done"]]);
    const chunk = jobs[1]!.data as { parent: string; rcpt: string[] };
    assert.equal(chunk.parent, String(jobs[0]!.id));
    assert.deepEqual([...chunk.rcpt].sort(), ["anne@example.com", "bob@example.net", "carol@example.org"]);
    assert.deepEqual([...sink.counts().keys()].sort(), ["anne@example.com", "bob@example.net", "carol@example.org"]);
  });

  it("a roster bigger than a chunk still goes through the list-post job", async () => {
    const list = await createList(t.db, { personalize: "none" });
    for (const a of ["anne@example.com", "bob@example.net", "carol@example.org"]) await addMember(t.db, list, a);
    await insertPost(t.db, post("big"));
    await withWorkers({ MAILROOM_MAX_RECIPIENTS_PER_TRANSACTION: "2" }, () => sink.waitForAccepted(3, 4000));
    const jobs = await t.db.prisma.job.findMany({ orderBy: { id: "asc" } });
    assert.deepEqual(jobs.slice(0, 2).map((j) => [j.queue, (j.data as { kind?: string }).kind ?? null]), [["list", null], ["out", "list-post"]]);
    assert.ok(jobs.slice(2).every((j) => (j.data as { kind: string }).kind === "chunk"));
    assert.equal(sink.counts().size, 3);
  });

  it("members who do not get mail (disabled, excluded) are left out of the inline chunk; none left: no job", async () => {
    const list = await createList(t.db, { personalize: "none" });
    await addMember(t.db, list, "anne@example.com", { receiveOwnPostings: false });
    await addMember(t.db, list, "bob@example.net", { deliveryStatus: "by_user" });
    await insertPost(t.db, post("nobody"));
    await withWorkers({}, async () => {
      await until(async () => (await t.db.prisma.job.count({ where: { queue: "list", state: "done" } })) === 1, 4000);
    });
    assert.equal(await t.db.prisma.job.count({ where: { queue: "out" } }), 0);
    assert.equal(sink.accepted, 0);
  });
});

describe("kill -9 after the list stage", () => {
  it("the chunk job it wrote survives: a restart delivers, at most the chunk in flight twice", async () => {
    const slow = await startSmtpSink({ dataDelayMs: 1500 });
    try {
      const list = await createList(t.db, { personalize: "none" });
      for (const a of ["anne@example.com", "bob@example.net"]) await addMember(t.db, list, a);
      await insertPost(t.db, post("crash"));
      // The servers share this test's database (DATABASE_URL's server or the test cluster).
      const env = { MAILROOM_SMTP_PORT: String(slow.port), MAILROOM_JOB_LEASE: "3", DATABASE_URL: t.url };
      const varDir = mkdtempSync(join(tmpdir(), "mailroom-inline-crash-"));
      const first = await startServer({ varDir, env });
      try {
        // The list stage committed and the chunk is being sent (the sink holds its DATA).
        await until(async () => (await t.db.prisma.job.count({ where: { queue: "out", state: "running" } })) === 1, 20_000);
      } finally {
        await first.kill9();
      }
      const jobs = await t.db.prisma.job.findMany({ orderBy: { id: "asc" } });
      assert.deepEqual(jobs.map((j) => [j.queue, j.state]), [["list", "done"], ["out", "running"]]);
      const second = await startServer({ varDir, env });
      try {
        await until(async () => (await t.db.prisma.job.count({ where: { state: { not: "done" } } })) === 0, 20_000);
      } finally {
        await second.stop();
      }
      const counts = slow.counts();
      assert.deepEqual([...counts.keys()].sort(), ["anne@example.com", "bob@example.net"]);
      assert.ok([...counts.values()].every((n) => n <= 2), "at most the chunk in flight twice");
    } finally {
      await slow.close();
    }
  });
});
