// LMTP ingress benchmark: messages/second accepted AND committed (a 250 is only
// sent after commit), 1 and 10 connections, 4 KB messages, on the embedded
// database and on PostgreSQL, driven by Postfix's smtp-source -L (when installed)
// and by a Node client; then RCPT decision latency p50/p99 with 100,000 lists.
//   npx tsx bench/lmtp.ts [--messages 4000] [--db both|embedded|postgres] [--lists 100000]
// PostgreSQL: DATABASE_URL (a server URL; a scratch database is created and dropped).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../src/config/index.js";
import { openDatabase, type Database } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { createLogger } from "../src/log.js";
import { createLmtpServer } from "../src/lmtp/server.js";
import { createRecipientResolver } from "../src/services/recipients.js";
import { createServices } from "../src/services/index.js";
import { NO_MAPS } from "../src/mta/updater.js";
import { LmtpClient } from "../test/helpers/lmtp-client.js";

const { values: opts } = parseArgs({
  options: {
    messages: { type: "string", default: "4000" },
    db: { type: "string", default: "both" },
    lists: { type: "string", default: "100000" },
  },
});
const MESSAGES = Number(opts.messages);
const LISTS = Number(opts.lists);
const SERVER_URL = process.env.DATABASE_URL?.trim() || "postgres://postgres@127.0.0.1:5432/postgres";
const log = createLogger("silent");
const SMTP_SOURCE = ["/usr/sbin/smtp-source", "/usr/bin/smtp-source"].find((p) => spawnSync("test", ["-x", p]).status === 0) ?? null;

const body = "x".repeat(75) + "\n";
const MESSAGE_4K = (i: number) => {
  const head = `From: anne@example.org\nTo: bench@example.com\nSubject: bench ${i}\nMessage-ID: <bench.${i}.${randomBytes(4).toString("hex")}@example.org>\n\n`;
  return head + body.repeat(Math.ceil((4096 - head.length) / body.length));
};

async function withDatabase(kind: "embedded" | "postgres", fn: (db: Database) => Promise<void>): Promise<void> {
  if (kind === "embedded") {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-"));
    const db = await openDatabase({ url: null, dataDir: join(dir, "db") });
    try { await migrate(db); await fn(db); } finally { await db.close(); rmSync(dir, { recursive: true, force: true }); }
    return;
  }
  const name = `mailroom_bench_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(SERVER_URL);
  u.pathname = `/${name}`;
  const db = await openDatabase({ url: u.toString(), poolSize: 20 });
  try { await migrate(db); await fn(db); } finally { await db.close(); await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); }
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: SERVER_URL });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
}

async function seedBenchList(db: Database): Promise<void> {
  await db.prisma.$executeRaw`INSERT INTO "Domain" ("mailHost") VALUES ('example.com') ON CONFLICT DO NOTHING`;
  await db.prisma.$executeRaw`
    INSERT INTO "MailingList" ("listName", "mailHost", "listId", "domainId", "displayName", "subjectPrefix")
    SELECT 'bench', 'example.com', 'bench.example.com', id, 'Bench', '[Bench] ' FROM "Domain" WHERE "mailHost" = 'example.com'
    ON CONFLICT DO NOTHING`;
}

async function committed(db: Database): Promise<number> {
  const [row] = await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "Message"`;
  return Number(row!.n);
}

/**
 * CPU used so far by each PostgreSQL backend serving this database, in ms by pid
 * (Linux /proc; null elsewhere): the server's share
 * of the work per message, which this shared 2-core machine must fit beside ours.
 */
async function backendCpuMs(db: Database): Promise<Map<number, number> | null> {
  const rows = await db.query<{ pid: number }>("bench_backends", "SELECT pid FROM pg_stat_activity WHERE datname = current_database()", []);
  const byPid = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byPid.set(pid, (Number(f[11]) + Number(f[12])) * 10); // USER_HZ is 100 on Linux
    } catch {
      return null;
    }
  }
  return byPid;
}

/** CPU ms the backends used between two readings (a backend the pool closed meanwhile is not counted). */
function backendCpuDelta(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null;
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}

async function nodeClient(port: number, connections: number, total: number): Promise<number> {
  let ok = 0;
  await Promise.all(Array.from({ length: connections }, async (_, k) => {
    const c = await LmtpClient.connect(port);
    await c.command("LHLO bench.example.org");
    for (let i = k; i < total; i += connections) {
      const r = await c.send("anne@example.org", ["bench@example.com"], MESSAGE_4K(i));
      if (r.final[0]?.code === 250) ok++;
    }
    await c.quit();
  }));
  return ok;
}

function smtpSource(port: number, connections: number, total: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // -d: keep sessions open between messages, as Postfix's LMTP connection cache does.
    const child = spawn(SMTP_SOURCE!, ["-L", "-d", "-s", String(connections), "-m", String(total), "-l", "4000",
      "-f", "anne@example.org", "-t", "bench@example.com", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => { err += d; });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`smtp-source exited ${code}: ${err}`))));
  });
}

async function throughput(kind: "embedded" | "postgres"): Promise<void> {
  await withDatabase(kind, async (db) => {
    await seedBenchList(db);
    const config = loadConfig({ MAILROOM_VAR_DIR: tmpdir(), MAILROOM_LMTP_PORT: "0" });
    const services = createServices({ db, config, log, maps: NO_MAPS });
    const lmtp = createLmtpServer({ services, config, log });
    const port = await lmtp.listen("127.0.0.1", 0);
    try {
      for (const generator of [...(SMTP_SOURCE ? ["smtp-source"] : []), "node"] as const) {
        for (const connections of [1, 10]) {
          const total = MESSAGES;
          const before = await committed(db);
          const pg0 = await backendCpuMs(db);
          const cpu0 = process.cpuUsage();
          const t0 = performance.now();
          if (generator === "node") await nodeClient(port, connections, total);
          else await smtpSource(port, connections, total);
          const seconds = (performance.now() - t0) / 1000;
          const stored = (await committed(db)) - before;
          const cpu = process.cpuUsage(cpu0);
          // CPU of this process per message: the server (and, for "node", the client too).
          const cpuPerMsg = (cpu.user + cpu.system) / 1000 / Math.max(1, stored);
          const pg1 = await backendCpuMs(db);
          const pgMs = backendCpuDelta(pg0, pg1);
          const serverCpu = pgMs !== null ? `, ${(pgMs / Math.max(1, stored)).toFixed(2)} ms PostgreSQL CPU/msg` : "";
          console.log(`${kind.padEnd(8)} ${generator.padEnd(11)} ${String(connections).padStart(2)} conn  ${String(total).padStart(5)} msgs  ${(stored / seconds).toFixed(0).padStart(6)} msg/s committed  (${stored}/${total} stored, ${seconds.toFixed(2)} s, ${cpuPerMsg.toFixed(2)} ms CPU/msg in-process${serverCpu})`);
        }
      }
    } finally {
      await lmtp.close();
    }
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function rcptLatency(kind: "embedded" | "postgres"): Promise<void> {
  await withDatabase(kind, async (db) => {
    await db.prisma.$executeRaw`INSERT INTO "Domain" ("mailHost") VALUES ('example.com')`;
    // 100,000 lists in one statement.
    await db.prisma.$executeRaw`
      INSERT INTO "MailingList" ("listName", "mailHost", "listId", "domainId", "displayName", "subjectPrefix")
      SELECT 'list' || g, 'example.com', 'list' || g || '.example.com', d.id, 'List ' || g, '[List ' || g || '] '
      FROM generate_series(1, ${LISTS}) g, "Domain" d WHERE d."mailHost" = 'example.com'`;
    const resolver = createRecipientResolver(db, log);
    const subs = ["", "-bounces+anne=example.org", "-request", "-owner", "-join", "+tag"];
    const addr = () => `list${1 + Math.floor(Math.random() * LISTS)}${subs[Math.floor(Math.random() * subs.length)]}@example.com`;
    const unknown = () => `nolist${Math.floor(Math.random() * 1e9)}@example.com`;
    const measure = async (label: string, next: () => string, n: number) => {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const a = next();
        const t0 = performance.now();
        await resolver.resolve(a);
        samples.push(performance.now() - t0);
      }
      samples.sort((x, y) => x - y);
      console.log(`${kind.padEnd(8)} RCPT ${label.padEnd(34)} p50 ${percentile(samples, 50).toFixed(3)} ms  p99 ${percentile(samples, 99).toFixed(3)} ms  (${n} decisions, ${LISTS} lists)`);
    };
    // Warm-up, as on a running server, then every decision is a database query.
    for (let i = 0; i < 2000; i++) await resolver.resolve(addr());
    await measure("list address (database)", addr, 20000);
    await measure("no such list (database)", unknown, 5000);
  });
}

const kinds = (opts.db === "both" ? ["embedded", "postgres"] : [opts.db]) as ("embedded" | "postgres")[];
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} cores`);
console.log(`load generators: ${SMTP_SOURCE ? `${SMTP_SOURCE} -L -d` : "(smtp-source not installed)"}, node LmtpClient (same process as the server)`);
for (const kind of kinds) await throughput(kind);
for (const kind of kinds) await rcptLatency(kind);
