// Fan-out benchmark: time from the enqueue of a list post (the pipeline's hand-off to
// delivery) to the last recipient accepted by an SMTP sink running in a separate
// process, for lists of 1,000 / 10,000 / 100,000 members, bulk and personalised, on
// embedded PGlite and on PostgreSQL (when DATABASE_URL is set), with peak RSS.
//   npx tsx bench/fanout.ts [--sizes 1000,10000,100000] [--modes bulk,personalised] [--db pglite,postgres]
// The SMTP sink and each measured delivery run in child processes of their own (--sink, --worker).
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { loadConfig } from "../src/config/index.js";
import { createLogger } from "../src/log.js";
import { startRunner } from "../src/queue/runner.js";
import { createDeliveryHandler } from "../src/delivery/handler.js";
import { createTestDatabase } from "../test/helpers/db.js";
import { startSmtpSink } from "../test/helpers/smtp-sink.js";
import { createList, enqueuePost } from "../test/delivery/fixtures.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

// ---- the sink process: answers {"expect": n} with {"done": epoch-ms} once n more recipients were accepted.
async function sinkMain(): Promise<void> {
  const sink = await startSmtpSink({ store: false });
  process.send!({ port: sink.port });
  process.on("message", async (m: { expect?: number }) => {
    if (m.expect === undefined) return;
    const base = sink.accepted;
    await sink.waitForAccepted(base + m.expect, 600_000);
    process.send!({ done: Date.now(), accepted: sink.accepted - base });
  });
}

interface SinkHandle { port: number; expect(n: number): Promise<number>; stop(): void }

async function startSinkProcess(): Promise<SinkHandle> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--sink"], { execArgv: ["--import", "tsx"], stdio: "inherit" });
  const port = await new Promise<number>((res) => child.once("message", (m: { port: number }) => res(m.port)));
  return {
    port,
    expect: (n) => new Promise((res) => {
      child.once("message", (m: { done: number }) => res(m.done));
      child.send({ expect: n });
    }),
    stop: () => child.kill(),
  };
}

interface Row { db: string; mode: string; members: number; ms: number; rssMb: number; chunks: number }
type Mode = "bulk" | "personalised";

// ---- the delivery process: one per measurement, so its peak RSS is its own.
async function workerMain(): Promise<void> {
  const [target, mode, nText, sinkPort] = process.argv.slice(process.argv.indexOf("--worker") + 1) as [string, Mode, string, string];
  const n = Number(nText);
  const db = target.startsWith("postgres") ? await openDatabase({ url: target }) : await openDatabase({ url: null, dataDir: target });
  await migrate(db);
  await db.prisma.$executeRawUnsafe(`TRUNCATE "Job", "Message", "Member", "MailingList", "Domain", "BounceEvent" RESTART IDENTITY CASCADE`);
  const personalize = mode === "bulk" ? "none" : "individual";
  const list = await createList(db, "bench", "lists.test", personalize);
  // Seeded in the database, not through this process: RSS is delivery's alone.
  await db.prisma.$executeRaw`
    INSERT INTO "Member" ("listId", address, "addressKey", "displayName")
    SELECT ${list.id}::int, 'user' || i || '@d' || (i % 50) || '.test', 'user' || i || '@d' || (i % 50) || '.test', 'User ' || i
    FROM generate_series(0, ${n - 1}::int) AS i`;
  const warm = await createList(db, "warm", "lists.test", personalize);
  await db.prisma.$executeRaw`
    INSERT INTO "Member" ("listId", address, "addressKey") SELECT ${warm.id}::int, 'w' || i || '@w.test', 'w' || i || '@w.test' FROM generate_series(1, 5) AS i`;
  await db.prisma.$executeRawUnsafe(`ANALYZE`);
  const config = loadConfig({ MAILROOM_SMTP_PORT: sinkPort });
  const handler = createDeliveryHandler({ db, config, secret: "bench" });
  const runner = await startRunner({ db, log: createLogger("warn"), handlers: [handler], leaseSeconds: 60 });
  // Warm up connections (database pool, SMTP pool) as a running server has them.
  await enqueuePost(db, warm.listId, { personalize });
  while ((await db.prisma.job.count({ where: { state: { not: "done" } } })) > 0) await new Promise((r) => setTimeout(r, 20));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  process.send!({ ready: true });
  await new Promise((r) => process.once("message", r)); // "go"
  const start = Date.now();
  await enqueuePost(db, list.listId, { personalize });
  process.send!({ start });
  await new Promise((r) => process.once("message", r)); // "stop": the sink has everything
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await runner.stop();
  handler.close();
  const chunks = await db.prisma.job.count({ where: { listId: list.listId, data: { path: ["kind"], equals: "chunk" } } });
  process.send!({ peak, chunks, kind: db.kind });
  await db.close();
  process.exit(0);
}

function next<T>(child: ChildProcess): Promise<T> {
  return new Promise((res) => child.once("message", (m) => res(m as T)));
}

async function runOne(target: string, sink: SinkHandle, mode: Mode, n: number): Promise<Row> {
  const child = fork(fileURLToPath(import.meta.url), ["--worker", target, mode, String(n), String(sink.port)], { execArgv: ["--import", "tsx"], stdio: "inherit" });
  await next<{ ready: true }>(child);
  const done = sink.expect(n);
  child.send("go");
  const { start } = await next<{ start: number }>(child);
  const end = await done;
  child.send("stop");
  const { peak, chunks, kind } = await next<{ peak: number; chunks: number; kind: string }>(child);
  await new Promise((r) => child.once("exit", r));
  return { db: kind, mode, members: n, ms: end - start, rssMb: Math.round(peak / 1024 / 1024), chunks };
}

async function main(): Promise<void> {
  const sizes = arg("sizes", "1000,10000,100000").split(",").map(Number);
  const modes = arg("modes", "bulk,personalised").split(",") as Mode[];
  const kinds = arg("db", process.env.DATABASE_URL ? "pglite,postgres" : "pglite").split(",");
  const sink = await startSinkProcess();
  try {
    for (const kind of kinds) {
      let target: string;
      let close: () => Promise<void>;
      if (kind === "postgres") {
        if (!process.env.DATABASE_URL) throw new Error("--db postgres needs DATABASE_URL");
        const t = await createTestDatabase();
        target = t.url!;
        await t.db.close();
        close = () => t.close().catch(() => {});
      } else {
        const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-"));
        target = join(dir, "db");
        close = async () => rmSync(dir, { recursive: true, force: true });
      }
      try {
        for (const mode of modes) {
          for (const n of sizes) {
            const row = await runOne(target, sink, mode, n);
            console.log(`${row.db.padEnd(8)} ${row.mode.padEnd(12)} ${String(row.members).padStart(7)} members  ${String(row.ms).padStart(6)} ms  peak RSS ${row.rssMb} MB  (${row.chunks} chunks)`);
          }
        }
      } finally {
        await close();
      }
    }
  } finally {
    sink.stop();
  }
}

if (process.argv.includes("--sink")) {
  void sinkMain();
} else if (process.argv.includes("--worker")) {
  workerMain().catch((err) => { console.error(err); process.exit(1); });
} else {
  main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
}
