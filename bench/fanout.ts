// Fan-out benchmark: time to the last recipient accepted by an SMTP sink running in a
// separate process, for lists of 1,000 / 10,000 / 100,000 members, bulk and
// personalised, on the embedded database and on PostgreSQL (when DATABASE_URL is set),
// with the peak RSS of the measured process (mailroom's; the embedded cluster's own
// processes are not counted: bench/traffic.ts measures the whole set-up). The measured process is `mailroom serve`
// started with package.json's own `start` command (compiled JavaScript in dist/, the
// same node flags and environment prefix), a fresh one per row, so what is measured is
// what an operator runs. Two starting points (--from):
//   lmtp     a member posts one message over LMTP; the clock starts at the LMTP 250
//            (posting pipeline + delivery);
//   enqueue  this process stores the post and enqueues its list-post "out" job, as the
//            pipeline's hand-off does; the clock starts at that commit (delivery alone).
//            PostgreSQL only: an embedded database belongs to the server process.
//   npx tsx bench/fanout.ts [--sizes 1000,10000,100000] [--modes bulk,personalised] [--db embedded,postgres] [--from lmtp,enqueue] [--no-build]
//     [--start "NAME=value node --flag dist/main.js serve"]   (compare other flags; default: package.json's start)
// Memory figures come from /proc/PID/status of the server: VmRSS when ready (after a
// warm-up post), VmHWM (the kernel's peak RSS) at start-up and during the post. The
// peak is reset between the two by writing 5 to /proc/PID/clear_refs.
// The SMTP sink runs in a child process of its own (--sink).
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../src/db/client.js";
import { Prisma } from "../src/generated/prisma/client.js";
import { migrate } from "../src/db/migrate.js";
import { LmtpClient } from "../test/helpers/lmtp-client.js";
import { createTestDatabase } from "../test/helpers/db.js";
import { startSmtpSink } from "../test/helpers/smtp-sink.js";
import { startServer, type ServerProcess } from "../test/helpers/server-process.js";
import { createList, enqueuePost } from "../test/delivery/fixtures.js";
import { build, procStatus, startCommand } from "./measured-process.js";

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

type Mode = "bulk" | "personalised";
type From = "lmtp" | "enqueue";

// The poster is a member of both lists (the bench list and the warm-up list), so the
// post is accepted by the member rules; To: the list satisfies requireExplicitDestination.
const POSTER = "user0@d0.test";
const WARM_MEMBERS = 5;
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

/** The bench list (n members over 50 domains, seeded in SQL) and the warm-up list. */
async function seed(db: Database, mode: Mode, n: number): Promise<{ listId: string; listPk: number }> {
  await db.prisma.$executeRawUnsafe(`TRUNCATE "Job", "Message", "Member", "Address", "User", "MailingList", "Domain", "BounceEvent" RESTART IDENTITY CASCADE`);
  const personalize = mode === "bulk" ? "none" : "individual";
  // Each member has an Address and a User, as a subscription makes them (services/address-book.ts).
  const seedMembers = async (listPk: number, emails: Prisma.Sql, names: Prisma.Sql) => {
    await db.prisma.$executeRaw`
      INSERT INTO "Address" (email, "originalEmail", "displayName", "verifiedOn")
      SELECT e, e, n, now() FROM unnest(${emails}::text[], ${names}::text[]) AS x(e, n) ON CONFLICT (email) DO NOTHING`;
    await db.prisma.$executeRaw`
      WITH pick AS (SELECT id AS aid, nextval(pg_get_serial_sequence('"User"', 'id'))::int AS uid, "displayName" FROM "Address" WHERE "userId" IS NULL),
      nu AS (INSERT INTO "User" (id, "displayName") SELECT uid, "displayName" FROM pick)
      UPDATE "Address" a SET "userId" = pick.uid FROM pick WHERE a.id = pick.aid`;
    await db.prisma.$executeRaw`
      INSERT INTO "Member" ("listId", "addressId", address, "addressKey", "displayName")
      SELECT ${listPk}::int, a.id, a.email, a.email, a."displayName" FROM unnest(${emails}::text[]) AS x(e) JOIN "Address" a ON a.email = x.e`;
  };
  const list = await createList(db, "bench", "lists.test", personalize);
  await seedMembers(list.id,
    Prisma.sql`(SELECT array_agg('user' || i || '@d' || (i % 50) || '.test' ORDER BY i) FROM generate_series(0, ${n - 1}::int) AS i)`,
    Prisma.sql`(SELECT array_agg('User ' || i ORDER BY i) FROM generate_series(0, ${n - 1}::int) AS i)`);
  const warm = await createList(db, "warm", "lists.test", personalize);
  await seedMembers(warm.id,
    Prisma.sql`(SELECT array_agg('w' || i || '@w.test') || ${POSTER}::text FROM generate_series(1, ${WARM_MEMBERS - 1}::int) AS i)`,
    Prisma.sql`(SELECT array_fill(''::text, ARRAY[${WARM_MEMBERS}::int]))`);
  await db.prisma.$executeRawUnsafe(`ANALYZE`);
  return { listId: list.listId, listPk: list.id };
}

function chunkCount(db: Database, listId: string): Promise<number> {
  return db.prisma.job.count({ where: { listId, data: { path: ["kind"], equals: "chunk" } } });
}

interface Target { kind: "postgres" | "embedded"; url: string | null; varDir: string }

interface Row { from: From; mode: Mode; members: number; ms: number; startHwm: number; ready: number; postHwm: number; chunks: number }

async function runOne(target: Target, parentDb: Database | null, sink: SinkHandle, from: From, mode: Mode, n: number): Promise<Row> {
  // Seed: PostgreSQL through the parent's connection; the embedded database before the server opens it (one process at a time).
  let db = parentDb ?? await openDatabase({ url: null, dataDir: join(target.varDir, "db") });
  if (!parentDb) await migrate(db);
  const { listId } = await seed(db, mode, n);
  if (!parentDb) await db.close();

  let server: ServerProcess | null = null;
  try {
    const cmd = startCommand(arg("start", ""));
    server = await startServer({
      argv: cmd.argv,
      varDir: target.varDir,
      timeoutMs: 120_000,
      env: { ...cmd.env, DATABASE_URL: target.url ?? undefined, MAILROOM_SMTP_PORT: String(sink.port), MAILROOM_SECRET: "bench" },
    });
    const pid = server.child.pid!;
    // Warm up (database pool, SMTP pool, DMARC cache for the poster's domain) as on a running server.
    const warmed = sink.expect(WARM_MEMBERS);
    await lmtpPost(server.lmtpPort, "warm@lists.test", "warm up");
    await warmed;
    await new Promise((r) => setTimeout(r, 500)); // the warm-up's jobs settle
    const startHwm = procStatus(pid).hwm;
    const ready = procStatus(pid).rss;
    writeFileSync(`/proc/${pid}/clear_refs`, "5"); // VmHWM := VmRSS: from here on it is the post's peak
    const done = sink.expect(n);
    const start = from === "lmtp"
      ? await lmtpPost(server.lmtpPort, "bench@lists.test", `bench ${mode} ${n}`)
      : await enqueuePost(db, listId, { personalize: mode === "bulk" ? "none" : "individual" }).then(() => Date.now());
    const end = await done;
    const postHwm = procStatus(pid).hwm;
    await server.stop();
    server = null;
    if (!parentDb) db = await openDatabase({ url: null, dataDir: join(target.varDir, "db") });
    const chunks = await chunkCount(db, listId);
    if (!parentDb) await db.close();
    return { from, mode, members: n, ms: end - start, startHwm, ready, postHwm, chunks };
  } finally {
    await server?.kill9();
  }
}

async function main(): Promise<void> {
  const sizes = arg("sizes", "1000,10000,100000").split(",").map(Number);
  const modes = arg("modes", "bulk,personalised").split(",") as Mode[];
  const kinds = arg("db", process.env.DATABASE_URL ? "embedded,postgres" : "embedded").split(",");
  const froms = arg("from", "lmtp,enqueue").split(",") as From[];
  for (const f of froms) if (f !== "lmtp" && f !== "enqueue") throw new Error(`--from: lmtp or enqueue, not ${f}`);
  if (!process.argv.includes("--no-build")) {
    build();
  }
  const cmd = startCommand(arg("start", ""));
  console.log(`measured process: ${Object.entries(cmd.env).map(([k, v]) => `${k}=${v} `).join("")}${cmd.argv.join(" ")}`);
  const sink = await startSinkProcess();
  try {
    for (const kind of kinds) {
      const varDir = mkdtempSync(join(tmpdir(), "mailroom-bench-"));
      let target: Target;
      let parentDb: Database | null = null;
      let close: () => Promise<void>;
      if (kind === "postgres") {
        if (!process.env.DATABASE_URL) throw new Error("--db postgres needs DATABASE_URL");
        const t = await createTestDatabase();
        target = { kind, url: t.url!, varDir };
        parentDb = t.db;
        close = () => t.close().catch(() => {});
      } else {
        target = { kind: "embedded", url: null, varDir };
        close = async () => {};
      }
      try {
        for (const from of froms) for (const mode of modes) {
          if (from === "enqueue" && kind === "embedded") continue;
          for (const n of sizes) {
            const r = await runOne(target, parentDb, sink, from, mode, n);
            const peak = Math.max(r.startHwm, r.postHwm);
            console.log(`${kind.padEnd(8)} from ${r.from.padEnd(8)} ${r.mode.padEnd(12)} ${String(r.members).padStart(7)} members  ${String(r.ms).padStart(6)} ms  ` +
              `peak RSS ${peak} MB  (${r.chunks} chunks; start-up peak ${r.startHwm} MB, ready ${r.ready} MB, peak during the post ${r.postHwm} MB)`);
          }
        }
      } finally {
        await close();
        rmSync(varDir, { recursive: true, force: true });
      }
    }
  } finally {
    sink.stop();
  }
}

if (process.argv.includes("--sink")) {
  void sinkMain();
} else {
  main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
}
