// Jobs handed to this process's own worker already claimed (queue/jobs.ts reserveLocal):
// the LMTP ingest inserts posts claimed by the list worker as far as it has free
// slots, and those run with no claim statement; the rest wait ready and are claimed.
// A kill -9 with handed jobs in flight loses nothing: they are claimed jobs of a dead
// worker, taken again after the restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "../../src/db/client.js";
import { openDatabase } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { reserveLocal, WORKER_ID, type ClaimedJob } from "../../src/queue/jobs.js";
import { startRunner, type JobHandler } from "../../src/queue/runner.js";
import { createIncomingStore, type IncomingMessage } from "../../src/services/incoming.js";
import { createRecipientResolver } from "../../src/services/recipients.js";
import { createTestDatabase, SERVER_URL } from "../helpers/db.js";
import { LmtpClient } from "../helpers/lmtp-client.js";
import { startServer } from "../helpers/server-process.js";
import { startSmtpSink } from "../helpers/smtp-sink.js";
import { until, waitFor } from "../helpers/wait.js";
import { addMembers } from "../delivery/fixtures.js";
import { createList, message, silent } from "../lmtp/fixtures.js";

test("posts are handed to the list worker claimed while it has room; the rest are claimed", async (t) => {
  const tdb = await createTestDatabase();
  t.after(() => tdb.close());
  let claims = 0;
  let claimsDone = 0;
  const db: Database = {
    ...tdb.db,
    jobQuery<R>(name: string, sql: string, params: unknown[]) {
      if (!name.startsWith("mailroom_claim")) return tdb.db.jobQuery<R>(name, sql, params);
      claims++;
      return tdb.db.jobQuery<R>(name, sql, params).finally(() => { claimsDone++; });
    },
  };
  const listId = await createList(db, "mylist@example.com");
  const decision = (await createRecipientResolver(db, silent).resolve("mylist@example.com"))!;
  const post = (n: number): IncomingMessage => ({
    raw: Buffer.from(`Message-ID: <p${n}@example.org>\r\nSubject: ${n}\r\n\r\nbody\r\n`), mailFrom: "anne@example.org",
    recipients: [{ address: "mylist@example.com", decision }], messageId: `<p${n}@example.org>`, messageIdHash: `H${n}`,
  });

  const seen: ClaimedJob[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  const h: JobHandler = { queue: "list", concurrency: 2, maxAttempts: 3, messageBytes: 1024, handle: async (job) => { seen.push(job); await gate; } };
  const runner = await startRunner({ db, log: silent, handlers: [h], leaseSeconds: 30, pollMs: 60_000 });
  t.after(() => { release(); return runner.stop(); });
  await until(async () => claimsDone >= 1); // the runner's first claim, at start, found nothing
  const atStart = claims;

  // Three posts in one turn: one statement; two slots free, so two are handed over.
  const store = createIncomingStore(db);
  await Promise.all([0, 1, 2].map((n) => store.store(post(n))));
  await until(async () => seen.length === 2);
  assert.equal(claims, atStart, "the handed posts needed no claim");
  for (const job of seen) {
    assert.equal(job.state, "running");
    assert.equal(job.attempts, 1);
    assert.equal(job.lockedBy, WORKER_ID);
    assert.equal(job.listId, listId);
    assert.match(Buffer.from(job.message!.raw).toString(), /^Message-ID: <p\d@example.org>/, "the post comes with its bytes");
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    assert.deepEqual([row.state, row.attempts, row.lockedBy], ["running", 1, WORKER_ID], "the row is claimed as the job says");
  }
  const waiting = await db.prisma.job.findMany({ where: { queue: "list", state: "ready" } });
  assert.equal(waiting.length, 1, "the post without a slot waits, ready");
  assert.equal(reserveLocal("list", 1), null, "no slot left to set aside");

  // A freed slot is claimed for the ready post (the ingest woke the worker for it).
  release();
  await until(async () => seen.length === 3);
  assert.ok(claims > atStart, "the third post was claimed");
  await until(async () => (await db.prisma.job.count({ where: { queue: "list", state: "done" } })) === 3);

  // Slots set aside are freed by start(), jobs or none; stop() waits for a reservation to end.
  // (A job's slot is free a moment after its row is done: wait for both.)
  const slots = await waitFor("both slots free", async () => {
    const r = reserveLocal("list", 5);
    if (r?.slots === 2) return r;
    r?.start([]);
    return null;
  });
  try {
    assert.equal(reserveLocal("list", 1), null);
  } finally {
    slots.start([]);
  }
  const again = reserveLocal("list", 1)!;
  let stopped = false;
  const stopping = runner.stop().then(() => { stopped = true; });
  try {
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(stopped, false, "stop waits for the slots set aside");
  } finally {
    again.start([]);
  }
  await stopping;
  assert.equal(reserveLocal("list", 1), null, "a stopped worker takes nothing");
});

test("kill -9 with posts handed over in flight, restart: every post delivered, none lost", async (t) => {
  const POSTS = 20;
  // A slow MTA keeps the chunks in flight when the process dies.
  const sink = await startSmtpSink({ dataDelayMs: 400 });
  t.after(() => sink.close());
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-handoff-"));
  const env: Record<string, string> = { MAILROOM_SMTP_PORT: String(sink.port), MAILROOM_JOB_LEASE: "3" };
  let db: Database;
  if (SERVER_URL) {
    const tdb = await createTestDatabase();
    t.after(() => tdb.close());
    db = tdb.db;
    env.DATABASE_URL = tdb.url!;
  } else {
    db = await openDatabase({ url: null, dataDir: join(varDir, "db") });
    await migrate(db);
  }
  const listId = await createList(db, "mylist@example.com");
  const list = await db.prisma.mailingList.findUniqueOrThrow({ where: { listId } });
  // The poster is the one member: his posts go out (a non-member's would be held), to him.
  // The poster is the list's one member: his posts go out (a non-member's are held), to him.
  await addMembers(db, list.id, [{ address: "bob@example.net" }]);
  if (!SERVER_URL) await db.close(); // the server takes the embedded database's lock

  const first = await startServer({ varDir, env });
  let deadPid = 0;
  try {
    deadPid = first.child.pid!;
    const c = await LmtpClient.connect(first.lmtpPort);
    await c.command("LHLO mta.example.org");
    for (let i = 0; i < POSTS; i++) {
      const r = await c.send("bob@example.net", ["mylist@example.com"], message({ "Message-ID": `<k${i}@example.org>`, Subject: `post ${i}` }));
      assert.equal(r.final[0]!.code, 250);
    }
    c.socket.destroy();
  } finally {
    await first.kill9();
  }
  if (!SERVER_URL) db = await openDatabase({ url: null, dataDir: join(varDir, "db") });
  const held = await db.prisma.job.count({ where: { state: "running", lockedBy: { endsWith: `:${deadPid}` } } });
  t.diagnostic(`at the kill: ${sink.accepted} copies delivered, ${held} jobs held by the dead process`);
  assert.ok(held > 0, "jobs were in flight under the killed process");
  if (!SERVER_URL) await db.close();

  const second = await startServer({ varDir, env });
  try {
    await sink.waitForAccepted(POSTS, 60_000);
    // Time for a copy sent twice to show (the lease of the dead process's jobs is 3 s).
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await second.stop();
  }
  const subjects = new Map<string, number>();
  for (const m of sink.messages) {
    const s = /^Subject: .*post (\d+)/m.exec(m.raw.toString())?.[1];
    if (s) subjects.set(s, (subjects.get(s) ?? 0) + 1);
  }
  for (let i = 0; i < POSTS; i++) assert.ok((subjects.get(String(i)) ?? 0) >= 1, `post ${i} delivered`);
  assert.ok([...subjects.values()].every((n) => n <= 2), "no post more than twice (only those in flight again)");
});

test("a steady stream of hand-overs does not hold off the poll: a job only a claim finds is claimed within it", async (t) => {
  const tdb = await createTestDatabase();
  t.after(() => tdb.close());
  const { db } = tdb;
  const done: string[] = [];
  const h: JobHandler = { queue: "command", concurrency: 4, maxAttempts: 3, handle: async (job) => { done.push(job.recipient!); } };
  const runner = await startRunner({ db, log: silent, handlers: [h], leaseSeconds: 30, pollMs: 500 });
  t.after(() => runner.stop());
  // Every 100 ms a hand-over wakes the worker (slots set aside and given back), as a
  // stream of posts does; none of them is a NOTIFY or a claim.
  const stream = setInterval(() => reserveLocal("command", 1)?.start([]), 100);
  t.after(() => clearInterval(stream));
  await new Promise((r) => setTimeout(r, 300));
  // A job no wake-up announces: inserted as another process would, without a NOTIFY
  // (or a retry coming due).
  const t0 = Date.now();
  await db.prisma.job.create({ data: { queue: "command", recipient: "unannounced" } });
  // Claimed while the stream goes on (before the change it waited for a pause in it).
  await until(async () => done.includes("unannounced"), 8000, "the unannounced job to be claimed while hand-overs go on");
  t.diagnostic(`claimed after ${Date.now() - t0} ms (poll 500 ms)`);
});
