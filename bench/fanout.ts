// Fan-out benchmark: time to the last recipient accepted by an SMTP sink running in a
// separate process, for lists of 1,000 / 10,000 / 100,000 members, bulk and
// personalised, on embedded PGlite and on PostgreSQL (when DATABASE_URL is set), with
// the peak RSS of the measured process. Two starting points (--from):
//   lmtp     the measured process runs the real LMTP server (real services) and the real
//            workers (posting pipeline + delivery); the parent posts one message from a
//            member over LMTP and the clock starts at the LMTP 250;
//   enqueue  the measured process runs delivery alone; the clock starts when the
//            list-post "out" job is enqueued (the pipeline's hand-off), as before.
//   npx tsx bench/fanout.ts [--sizes 1000,10000,100000] [--modes bulk,personalised] [--db pglite,postgres] [--from lmtp,enqueue]
// The SMTP sink and each measured process run in child processes of their own (--sink, --worker).
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
import { createServices } from "../src/services/index.js";
import { createLmtpServer } from "../src/lmtp/server.js";
import { NO_MAPS } from "../src/mta/updater.js";
import { startWorkers } from "../src/workers.js";
import { LmtpClient } from "../test/helpers/lmtp-client.js";
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

interface Row { db: string; from: From; mode: string; members: number; ms: number; rssMb: number; chunks: number; detail: string }
type Mode = "bulk" | "personalised";
type From = "lmtp" | "enqueue";

// The poster is a member of both lists (the bench list and the warm-up list), so the
// post is accepted by the member rules; To: the list satisfies requireExplicitDestination.
const POSTER = "user0@d0.test";
function postText(list: string, subject: string): string {
  return `From: User 0 <${POSTER}>\r\nTo: ${list}\r\nSubject: ${subject}\r\n` +
    `Message-ID: <${subject.replace(/\W/g, "")}.${Date.now()}@d0.test>\r\n\r\nHello everyone.\r\n`;
}

/** Posts one message over LMTP; resolves with the time of the (single) final 250. */
async function lmtpPost(port: number, list: string, subject: string): Promise<number> {
  const c = await LmtpClient.connect(port);
  try {
    await c.command("LHLO bench.test");
    const r = await c.send(POSTER, [list], postText(list, subject));
    const at = Date.now();
    if (r.final.length !== 1 || r.final[0]!.code !== 250) throw new Error(`LMTP post refused: ${JSON.stringify(r)}`);
    return at;
  } finally {
    await c.quit();
  }
}

// ---- the delivery process: one per measurement, so its peak RSS is its own.
async function workerMain(): Promise<void> {
  const [target, from, mode, nText, sinkPort] = process.argv.slice(process.argv.indexOf("--worker") + 1) as [string, From, Mode, string, string];
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
    INSERT INTO "Member" ("listId", address, "addressKey") SELECT ${warm.id}::int, 'w' || i || '@w.test', 'w' || i || '@w.test' FROM generate_series(1, 4) AS i
    UNION ALL SELECT ${warm.id}::int, ${POSTER}, ${POSTER}`;
  await db.prisma.$executeRawUnsafe(`ANALYZE`);
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-bench-var-"));
  const config = loadConfig({ MAILROOM_SMTP_PORT: sinkPort, MAILROOM_VAR_DIR: varDir, MAILROOM_LMTP_PORT: "0" });
  const log = createLogger("warn");
  let stop: () => Promise<void>;
  let lmtpPort = 0;
  if (from === "lmtp") {
    const services = createServices({ db, config, log, maps: NO_MAPS });
    const lmtp = createLmtpServer({ db, services, config, log });
    lmtpPort = await lmtp.listen("127.0.0.1", 0);
    const workers = await startWorkers({ db, services, config, log });
    stop = async () => { await lmtp.close(); await workers.stop(); };
  } else {
    const handler = createDeliveryHandler({ db, config, secret: "bench" });
    const runner = await startRunner({ db, log, handlers: [handler], leaseSeconds: 60 });
    stop = async () => { await runner.stop(); handler.close(); };
  }
  // Warm up connections (database pool, SMTP pool, LMTP) as a running server has them.
  if (from === "lmtp") await lmtpPost(lmtpPort, "warm@lists.test", "warm up");
  else await enqueuePost(db, warm.listId, { personalize });
  while ((await db.prisma.job.count({ where: { queue: { in: ["list", "out"] }, state: { notIn: ["done", "shunt"] } } })) > 0) await new Promise((r) => setTimeout(r, 20));
  const ready = process.memoryUsage();
  let peakAt = ready;
  const sample = () => { const m = process.memoryUsage(); if (m.rss > peakAt.rss) peakAt = m; };
  const sampler = setInterval(sample, 10);
  process.send!({ ready: true, lmtpPort });
  await new Promise((r) => process.once("message", r)); // "go"
  if (from === "enqueue") {
    const start = Date.now();
    await enqueuePost(db, list.listId, { personalize });
    process.send!({ start });
  }
  await new Promise((r) => process.once("message", r)); // "stop": the sink has everything
  clearInterval(sampler);
  sample();
  const peak = peakAt.rss;
  // What is still reachable once the post is delivered (garbage collected first).
  (globalThis as { gc?: () => void }).gc?.();
  const after = process.memoryUsage();
  await stop();
  rmSync(varDir, { recursive: true, force: true });
  const chunks = await db.prisma.job.count({ where: { listId: list.listId, data: { path: ["kind"], equals: "chunk" } } });
  const mb = (x: number) => Math.round(x / 1024 / 1024);
  // Where the memory is: RSS when ready (before the post), and heap / external at the RSS peak.
  const detail = `ready ${mb(ready.rss)} MB, at peak heap ${mb(peakAt.heapUsed)}/${mb(peakAt.heapTotal)} MB, external ${mb(peakAt.external)} MB, after GC heap ${mb(after.heapUsed)} MB`;
  process.send!({ peak, chunks, kind: db.kind, detail });
  await db.close();
  process.exit(0);
}

function next<T>(child: ChildProcess): Promise<T> {
  return new Promise((res) => child.once("message", (m) => res(m as T)));
}

async function runOne(target: string, sink: SinkHandle, from: From, mode: Mode, n: number): Promise<Row> {
  const child = fork(fileURLToPath(import.meta.url), ["--worker", target, from, mode, String(n), String(sink.port)], { execArgv: ["--import", "tsx", "--expose-gc"], stdio: "inherit" });
  const { lmtpPort } = await next<{ ready: true; lmtpPort: number }>(child);
  const done = sink.expect(n);
  child.send("go");
  const start = from === "lmtp"
    ? await lmtpPost(lmtpPort, "bench@lists.test", `bench ${mode} ${n}`)
    : (await next<{ start: number }>(child)).start;
  const end = await done;
  child.send("stop");
  const { peak, chunks, kind, detail } = await next<{ peak: number; chunks: number; kind: string; detail: string }>(child);
  await new Promise((r) => child.once("exit", r));
  return { db: kind, from, mode, members: n, ms: end - start, rssMb: Math.round(peak / 1024 / 1024), chunks, detail };
}

async function main(): Promise<void> {
  const sizes = arg("sizes", "1000,10000,100000").split(",").map(Number);
  const modes = arg("modes", "bulk,personalised").split(",") as Mode[];
  const kinds = arg("db", process.env.DATABASE_URL ? "pglite,postgres" : "pglite").split(",");
  const froms = arg("from", "lmtp,enqueue").split(",") as From[];
  for (const f of froms) if (f !== "lmtp" && f !== "enqueue") throw new Error(`--from: lmtp or enqueue, not ${f}`);
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
        for (const from of froms) for (const mode of modes) {
          for (const n of sizes) {
            const row = await runOne(target, sink, from, mode, n);
            console.log(`${row.db.padEnd(8)} from ${row.from.padEnd(8)} ${row.mode.padEnd(12)} ${String(row.members).padStart(7)} members  ${String(row.ms).padStart(6)} ms  peak RSS ${row.rssMb} MB  (${row.chunks} chunks; ${row.detail})`);
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
