// Real-traffic benchmark (issue 13): mailroom driven the way Postfix drives a list
// server, next to Postfix's own smtp-sink as the ceiling, in one run.
//   - smtp-source -L into a 1-member list: a new connection per message (1 and 10
//     clients) and connections reused (-d, 10 clients);
//   - 550 rejections of an unknown address (10 clients, a connection per message);
//   - end to end: posts streamed in over LMTP (-d, 10 clients) until the last copy
//     is accepted by an SMTP sink (the project's test sink, in a process of its own);
//   - smtp-sink -L's own rate for each smtp-source mode: the ceiling;
//   - idle and peak RSS (VmHWM) of the mailroom process, and of the whole set-up (its
//     process tree: with the embedded database, the PostgreSQL cluster it runs as
//     children) also PSS;
//   - what a post cost the database end to end (pg_stat_database commits and rows,
//     sequential scans, the serving processes' CPU: on a server this database's
//     backends, embedded the whole cluster) and the mailroom process's CPU per post
//     (docs/throughput.md).
// The measured process is `npm start`'s own command (bench/measured-process.ts), a
// fresh one per database, on a fresh database: PostgreSQL (DATABASE_URL; a scratch
// database is created and dropped) and the embedded default (DATABASE_URL unset: the
// cluster mailroom starts in its var dir; docs/embedded-database.md). `--db
// embedded-postgres`, the name of the comparison that chose it, is the same as embedded.
//   npx tsx bench/traffic.ts [--db postgres,embedded] [--messages 2000] [--single 500] [--no-build]
//     [--start "NAME=value node --flag dist/main.js serve"]
//     [--members N]     the list's members (default 1; end to end counts posts, the sink N copies each)
//     [--accept-only]   LMTP alone: MAILROOM_WORKERS=0, no delivery, no end-to-end figure
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createEmptyServerDatabase } from "../test/helpers/db.js";
import { adminRequest, startServer, type ServerProcess } from "../test/helpers/server-process.js";
import { startCopySink, type CopySink } from "./copy-sink.js";
import { build, cpuMs, formatBreakdown, procStatus, startCommand, treeBreakdown, treeStatus } from "./measured-process.js";
import { smtpSource as runSmtpSource, startSmtpSinkTool } from "./smtp-source.js";

const LIST = "bench@example.com";
const POSTER = "anne@example.org"; // the list's one member: it gets its own posts back
const smtpSource = (port: number, args: string[]) => runSmtpSource(port, POSTER, args);

// ---- the figures
const { values: opts } = parseArgs({
  options: {
    db: { type: "string", default: process.env.DATABASE_URL ? "postgres,embedded" : "embedded" },
    messages: { type: "string", default: "2000" },
    single: { type: "string", default: "500" },
    start: { type: "string", default: "" },
    "no-build": { type: "boolean", default: false },
    "accept-only": { type: "boolean", default: false },
    members: { type: "string", default: "1" },
  },
});
const M = Number(opts.messages);
const SINGLE = Number(opts.single);
const ACCEPT_ONLY = opts["accept-only"];
/** The list's members: the poster and MEMBERS - 1 others at example.net; the sink counts each member's copy. */
const MEMBERS = Math.max(1, Number(opts.members));

interface Mode { name: string; args: (n: number) => string[]; n: number }
const MODES = {
  single: { name: "connection per message, 1 client", args: (n: number) => ["-s", "1", "-m", String(n)], n: SINGLE },
  ten: { name: "connection per message, 10 clients", args: (n: number) => ["-s", "10", "-m", String(n)], n: M },
  reused: { name: "connection reused (-d), 10 clients", args: (n: number) => ["-d", "-s", "10", "-m", String(n)], n: M },
} satisfies Record<string, Mode>;
type ModeName = keyof typeof MODES;

async function ceiling(): Promise<Record<ModeName, number>> {
  const sink = await startSmtpSinkTool();
  try {
    const out = {} as Record<ModeName, number>;
    for (const [k, mode] of Object.entries(MODES) as [ModeName, Mode][]) {
      const n = Math.max(mode.n, 10_000); // the sink is fast: give it enough to time (a second or more)
      const r = await smtpSource(sink.port, ["-t", LIST, ...mode.args(n)]);
      out[k] = n / r.seconds;
    }
    return out;
  } finally {
    sink.stop();
  }
}

interface Figures {
  accepted: Record<ModeName, number>;
  rejected550: number;
  endToEnd: number;
  idle: { rss: number; treeRss: number; treePss: number };
  peak: { hwm: number; treeHwm: number; treePss: number; processes: number };
  /** What one post cost the database end to end (server databases only). */
  perPost: Record<string, number> | null;
}

const STATS = ["xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_deleted", "tup_returned", "tup_fetched"] as const;

/**
 * This database's counters in pg_stat_database (a snapshot taken at the call), and
 * the CPU used so far by the server processes serving it (its backends; for a
 * cluster of its own, every process of the cluster).
 */
async function dbStats(url: string, clusterPid: number | null): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("SELECT pg_stat_clear_snapshot()");
    const { rows } = await c.query(`SELECT ${STATS.join(", ")} FROM pg_stat_database WHERE datname = current_database()`);
    const backends = (await c.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).rows
      .map((r: { pid: number }) => r.pid);
    const out: Record<string, number> = Object.fromEntries(STATS.map((k) => [k, Number(rows[0][k])]));
    // Rows read by sequential scans, per table: a hot-path query without a fitting index shows here.
    for (const t of (await c.query(`SELECT relname, seq_scan, seq_tup_read FROM pg_stat_user_tables`)).rows as { relname: string; seq_scan: string; seq_tup_read: string }[]) {
      out[`seq_scan ${t.relname}`] = Number(t.seq_scan);
      out[`seq_tup_read ${t.relname}`] = Number(t.seq_tup_read);
    }
    out.server_cpu_ms = clusterPid ? cpuMs(clusterPid) : cpuMs(...backends);
    return out;
  } finally {
    await c.end();
  }
}

async function measure(kind: string, sink: CopySink): Promise<Figures> {
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-traffic-"));
  const scratch = kind === "postgres" ? await createEmptyServerDatabase() : null;
  /** Where the bench reads the database's counters: the server's scratch database, or mailroom's own cluster on its socket. */
  let url = scratch?.url;
  let clusterPid: number | null = null;
  let server: ServerProcess | null = null;
  let sampler: NodeJS.Timeout | null = null;
  try {
    const cmd = startCommand(opts.start);
    server = await startServer({
      argv: cmd.argv, varDir, timeoutMs: 120_000,
      env: { ...cmd.env, DATABASE_URL: url, MAILROOM_SMTP_PORT: String(sink.port), MAILROOM_SECRET: "bench",
        ...(ACCEPT_ONLY ? { MAILROOM_WORKERS: "0" } : {}) },
    });
    const pid = server.child.pid!;
    if (!scratch) {
      url = `postgresql://postgres@localhost/mailroom?host=${encodeURIComponent(join(varDir, "run"))}`;
      clusterPid = Number(readFileSync(join(varDir, "db", "postmaster.pid"), "utf8").split("\n")[0]);
    }
    // The whole set-up: mailroom's process tree (with the embedded cluster, its children); PSS sampled for its peak.
    const pids = [pid];
    let peakPss = 0;
    let peakRoles: ReturnType<typeof treeBreakdown> = {};
    sampler = setInterval(() => {
      const roles = treeBreakdown(...pids);
      const pss = Math.round(Object.values(roles).reduce((sum, r) => sum + r.pss, 0));
      if (pss > peakPss) { peakPss = pss; peakRoles = roles; }
    }, 1000);
    for (const [path, body] of [["/domains", { mailHost: "example.com" }], ["/lists", { address: LIST }],
      [`/lists/${LIST}/members`, { address: POSTER }],
      ...Array.from({ length: MEMBERS - 1 }, (_, i) => [`/lists/${LIST}/members`, { address: `member${i + 1}@example.net` }] as const)] as const) {
      const r = await adminRequest(server.httpPort, "POST", path, body);
      if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // The sink is shared by every database of the run: count from what it holds now.
    let copies = (await sink.until(0, 0)).accepted;
    /** Waits until every post so far has its copy at the sink (the next figure starts from a drained server). */
    const drained = async (what: string) => {
      if (ACCEPT_ONLY) return;
      const r = await sink.until(copies, 600_000);
      if (r.at === null) throw new Error(`${what}: ${r.accepted} of ${copies} copies reached the sink`);
    };
    // Warm up: connections, caches, JIT; the rejection path too (its first thousands of
    // connections ran at two thirds of the rate of the next ones: the code and the heap's
    // young generation grow into the load).
    await smtpSource(server.lmtpPort, ["-t", LIST, "-s", "2", "-m", "50"]);
    await smtpSource(server.lmtpPort, ["-A", "-t", "nolist@example.com", "-s", "10", "-m", "5000"]);
    copies += 50 * MEMBERS;
    await drained("warm-up");
    await new Promise((r) => setTimeout(r, 500));
    const idleTree = treeStatus(...pids);
    const idle = { rss: procStatus(pid).rss, treeRss: idleTree.rss, treePss: idleTree.pss };
    console.log(`  ${kind}: PSS idle by process: ${formatBreakdown(treeBreakdown(...pids))}`);

    const accepted = {} as Record<ModeName, number>;
    for (const [k, mode] of Object.entries(MODES) as [ModeName, Mode][]) {
      const r = await smtpSource(server.lmtpPort, ["-t", LIST, ...mode.args(mode.n)]);
      accepted[k] = mode.n / r.seconds;
      copies += mode.n * MEMBERS;
      await drained(mode.name);
      console.log(`  ${kind}: accepted, ${mode.name}: ${accepted[k].toFixed(1)} msg/s`);
    }
    // -A: go on after a rejected RCPT (smtp-source otherwise stops at the first).
    // Rejections are quick: five times as many, so that the run is long enough to time (~2 s).
    const R = Math.max(5 * M, 5000);
    const rej = await smtpSource(server.lmtpPort, ["-A", "-t", "nolist@example.com", ...MODES.ten.args(R)]);
    if (rej.rejected !== R) throw new Error(`550 run: ${rej.rejected} of ${R} rejected`);
    const rejected550 = R / rej.seconds;
    console.log(`  ${kind}: 550, connection per message, 10 clients: ${rejected550.toFixed(1)} /s`);

    if (ACCEPT_ONLY) {
      const tree = treeStatus(...pids);
      return { accepted, rejected550, endToEnd: NaN, idle, perPost: null, peak: { hwm: procStatus(pid).hwm, treeHwm: tree.hwm, treePss: Math.max(peakPss, tree.pss), processes: tree.processes } };
    }
    // Backends report their counters at most once a second, when idle.
    const settle = () => new Promise((r) => setTimeout(r, 2000));
    const before = url ? (await settle(), await dbStats(url, clusterPid)) : null;
    // mailroom's own CPU: its process tree less the embedded cluster's (its children).
    const ownCpu = () => cpuMs(pid) - (clusterPid ? cpuMs(clusterPid) : 0);
    const cpu0 = ownCpu();
    const base = (await sink.until(0, 0)).accepted;
    if (base !== copies) console.log(`  ${kind}: WARNING: the sink has ${base} copies where ${copies} were due (duplicates?)`);
    const t0 = Date.now();
    const posting = smtpSource(server.lmtpPort, ["-t", LIST, ...MODES.reused.args(M)]);
    const done = await sink.until(base + M * MEMBERS, 600_000);
    await posting;
    if (done.at === null) throw new Error(`end to end: ${done.accepted - base} of ${M * MEMBERS} copies reached the sink`);
    copies += M * MEMBERS;
    const endToEnd = M / ((done.at - t0) / 1000);
    const mailroomCpu = (ownCpu() - cpu0) / M;
    console.log(`  ${kind}: end to end: ${endToEnd.toFixed(1)} msg/s, mailroom process CPU ${mailroomCpu.toFixed(2)} ms per post`);
    let perPost: Record<string, number> | null = null;
    if (url && before) {
      await settle();
      const after = await dbStats(url, clusterPid);
      // The bench's own snapshot connections commit a few transactions: under 0.01 per post.
      perPost = Object.fromEntries(Object.keys(after).map((k) => [k, (after[k]! - before[k]!) / M]));
      console.log(`  ${kind}: per post, end to end: ${Object.entries(perPost).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`);
    }
    // Warnings and errors the server logged, by message: a figure is only as good as the run.
    const trouble = new Map<string, number>();
    for (const l of server.logs) if (Number(l.level) >= 40) trouble.set(String(l.msg), (trouble.get(String(l.msg)) ?? 0) + 1);
    if (trouble.size) console.log(`  ${kind}: server warnings/errors: ${[...trouble].map(([m, n]) => `${n}x "${m}"`).join(", ")}`);
    const tree = treeStatus(...pids);
    peakPss = Math.max(peakPss, tree.pss);
    console.log(`  ${kind}: PSS at the sampled peak by process: ${formatBreakdown(peakRoles)}`);
    return { accepted, rejected550, endToEnd, idle, perPost, peak: { hwm: procStatus(pid).hwm, treeHwm: tree.hwm, treePss: peakPss, processes: tree.processes } };
  } finally {
    if (sampler) clearInterval(sampler);
    await server?.stop();
    await scratch?.drop().catch(() => {});
    rmSync(varDir, { recursive: true, force: true });
  }
}

function fmt(rate: number, ceil: number): string {
  return `${rate.toFixed(rate < 100 ? 1 : 0)} (${((100 * rate) / ceil).toFixed(1)} %)`;
}

async function main(): Promise<void> {
  const kinds = opts.db.split(",").map((k) => k === "embedded-postgres" ? "embedded" : k);
  if (kinds.includes("postgres") && !process.env.DATABASE_URL) throw new Error("--db postgres needs DATABASE_URL");
  if (!opts["no-build"]) build();
  const cmd = startCommand(opts.start);
  console.log(`measured process: ${Object.entries(cmd.env).map(([k, v]) => `${k}=${v} `).join("")}${cmd.argv.join(" ")}`);
  console.log(`smtp-source -L -l 4096; ${M} messages per figure (${SINGLE} with 1 client)`);
  const sink = await startCopySink();
  const results: Record<string, Figures> = {};
  let ceil: Record<ModeName, number>;
  try {
    ceil = await ceiling();
    console.log(`  ceiling (smtp-sink -L): ${Object.entries(ceil).map(([k, v]) => `${k} ${v.toFixed(0)} msg/s`).join(", ")}`);
    for (const kind of kinds) results[kind] = await measure(kind, sink);
  } finally {
    sink.stop();
  }
  const cols = kinds.map((k) => ({ postgres: "PostgreSQL (DATABASE_URL)", embedded: "embedded PostgreSQL (default)" }[k] ?? k));
  const rows: [string, string, ...string[]][] = [];
  for (const [k, mode] of Object.entries(MODES) as [ModeName, Mode][]) {
    rows.push([`LMTP accepted, ${mode.name}`, `${ceil[k].toFixed(0)} msg/s`, ...kinds.map((d) => fmt(results[d]!.accepted[k], ceil[k]))]);
  }
  rows.push(["550 rejections, connection per message, 10 clients", `${ceil.ten.toFixed(0)} (accepted)`, ...kinds.map((d) => fmt(results[d]!.rejected550, ceil.ten))]);
  if (!ACCEPT_ONLY) rows.push([`end to end, ${MEMBERS}-member list (-d, 10 clients, posts whose every copy is at the sink)`, `${ceil.reused.toFixed(0)} msg/s`, ...kinds.map((d) => fmt(results[d]!.endToEnd, ceil.reused))]);
  rows.push(["RSS idle / peak, mailroom process", "", ...kinds.map((d) => `${results[d]!.idle.rss} / ${results[d]!.peak.hwm} MB`)]);
  rows.push(["whole set-up: RSS idle / peak (summed per process: an upper bound)", "", ...kinds.map((d) => `${results[d]!.idle.treeRss} / ${results[d]!.peak.treeHwm} MB (${results[d]!.peak.processes} processes)`)]);
  rows.push(["whole set-up: PSS idle / peak (sampled each second)", "", ...kinds.map((d) => `${results[d]!.idle.treePss} / ${results[d]!.peak.treePss} MB`)]);
  console.log(`\n| figure | smtp-sink -L (ceiling) | ${cols.join(" | ")} |`);
  console.log(`| --- | --- | ${cols.map(() => "---").join(" | ")} |`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  console.log("(rates in msg/s; in brackets the share of smtp-sink's rate in the same smtp-source mode)");
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
