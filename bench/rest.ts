// REST benchmark: starts a real `mailroom serve` (its own var dir, ports 0) and drives
// it over keep-alive HTTP from this process, printing requests/second and latency
// percentiles for GET /lists/{list} (cached, and a miss that always reads the
// database), POST /lists/{list}/members and a 10,000-member bulk add. The embedded database
// by default; with DATABASE_URL it creates (and drops) a database of its own there.
// The Mailman face: GET /3.1/lists/{id}, and a roster page (count=50) at page 1 and
// page 1,000 of a 100,000-member list. With --mailman URL (GNU Mailman's REST root,
// e.g. http://127.0.0.1:8001, credentials --mailman-auth user:password) the same
// GET /3.1/lists/{id} load runs against Mailman in the same run, for the ratio.
// --only add runs the single member add alone and adds what is steadier than a rate
// on a busy machine: CPU per add of the server process and of the database (its
// backends; the embedded cluster's processes), and commits per add.
//   npx tsx bench/rest.ts [--seconds 5] [--connections 32] [--mailman URL --mailman-auth user:pw] [--only mailman|add]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { cpuMs } from "./measured-process.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg("seconds", 5);
const strArg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const MAILMAN = strArg("mailman");
const MAILMAN_AUTH = `Basic ${Buffer.from(strArg("mailman-auth") ?? "restadmin:anchorpass").toString("base64")}`;
const ONLY_MAILMAN_FACE = strArg("only") === "mailman";
const ONLY_ADD = strArg("only") === "add";
const CONNECTIONS = arg("connections", 32);
const PASSWORD = "bench-password";
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;

async function withBenchDatabase<T>(fn: (url: string | null) => Promise<T>): Promise<T> {
  const server = process.env.DATABASE_URL?.trim();
  if (!server) return fn(null);
  const name = `mailroom_bench_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try { await c.query(sql); } finally { await c.end(); }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(server);
  u.pathname = `/${name}`;
  try { return await fn(u.toString()); } finally { await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); }
}

async function startServer(databaseUrl: string | null) {
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-bench-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env, MAILROOM_VAR_DIR: varDir, MAILROOM_HTTP_PORT: "0", MAILROOM_LMTP_PORT: "0",
    MAILROOM_ADMIN_PASSWORD: PASSWORD, MAILROOM_POSTMAP: "off", MAILROOM_POSTFIX_RELOAD: "off",
    MAILROOM_WORKERS: "0", MAILROOM_LOG_LEVEL: "warn",
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl; else delete env.DATABASE_URL;
  // The listening line is logged at info; keep the rest quiet.
  env.MAILROOM_LOG_LEVEL = "info";
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/main.ts"), "serve"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const l = JSON.parse(line);
        if (l.msg === "listening" && l.service === "http") resolve(l.port);
      } catch { /* not JSON */ }
    });
  });
  return {
    port,
    pid: child.pid!,
    /** The database the server uses, for its statistics. */
    dbUrl: databaseUrl ?? `postgresql://postgres@localhost/mailroom?host=${encodeURIComponent(join(varDir, "run"))}`,
    embedded: !databaseUrl,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(varDir, { recursive: true, force: true });
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function send(port: number, method: string, path: string, body?: unknown, auth = AUTH, host = "127.0.0.1"): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host, port, method, path, agent,
      headers: { authorization: auth, ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

interface Result { requests: number; rps: number; p50: number; p99: number; errors: number }

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;
}

/** `connections` loops, each sending one request after another, for `seconds`. */
async function load(port: number, seconds: number, connections: number, next: (i: number) => [string, string, unknown?], expect: number, auth = AUTH, host = "127.0.0.1"): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      const [method, path, body] = next(n++);
      const t0 = performance.now();
      const r = await send(port, method, path, body, auth, host);
      latencies.push(performance.now() - t0);
      if (r.status !== expect) { errors++; if (errors === 1) console.error(`unexpected ${r.status}: ${r.body.slice(0, 300)}`); }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, rps: latencies.length / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors };
}

const fmt = (r: Result) =>
  `${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.requests} requests, ${r.errors} errors)`;

async function main(): Promise<void> {
  const kind = process.env.DATABASE_URL ? "PostgreSQL" : "embedded PostgreSQL";
  await withBenchDatabase(async (url) => {
    const server = await startServer(url);
    const { port } = server;
    try {
      console.log(`mailroom REST benchmark: ${kind}, ${SECONDS} s per run, ${CONNECTIONS} keep-alive connections`);
      await send(port, "POST", "/domains", { mailHost: "bench.example.com" });
      await send(port, "POST", "/lists", { address: "bench@bench.example.com" });
      // Warm up JIT and connection pools.
      await load(port, 1, CONNECTIONS, () => ["GET", "/lists/bench@bench.example.com"], 200);
      if (ONLY_ADD) return await addOnly(server);
      await mailmanFace(port);
      if (ONLY_MAILMAN_FACE) return;

      console.log(`GET /health (no database)         ${fmt(await load(port, SECONDS, CONNECTIONS, () => ["GET", "/health"], 200))}`);
      console.log(`GET /lists/{list}                 ${fmt(await load(port, SECONDS, CONNECTIONS, () => ["GET", "/lists/bench@bench.example.com"], 200))}`);
      // Misses are not cached: this is the cost of the indexed SELECT behind a cold entry.
      console.log(`GET /lists/{missing} (404)        ${fmt(await load(port, SECONDS, CONNECTIONS, () => ["GET", "/lists/missing@bench.example.com"], 404))}`);
      console.log(`POST /lists/{list}/members        ${fmt(await load(port, SECONDS, CONNECTIONS,
        (i) => ["POST", "/lists/bench@bench.example.com/members", { address: `m${i}@members.example.org` }], 201))}`);

      const times: number[] = [];
      for (let run = 0; run < 5; run++) {
        await send(port, "POST", "/lists", { address: `bulk${run}@bench.example.com` });
        const members = Array.from({ length: 10_000 }, (_, i) => ({ address: `b${i}@bulk.example.org`, displayName: `Member ${i}` }));
        const t0 = performance.now();
        const r = await send(port, "POST", `/lists/bulk${run}.bench.example.com/members/bulk`, { members });
        times.push(performance.now() - t0);
        if (r.status !== 200 || JSON.parse(r.body).created !== 10_000) throw new Error(`bulk add failed: ${r.status} ${r.body.slice(0, 200)}`);
      }
      const sorted = [...times].sort((a, b) => a - b);
      console.log(`POST …/members/bulk (10,000)      ${times.map((t) => t.toFixed(0)).join(", ")} ms; median ${percentile(sorted, 0.5).toFixed(0)} ms, worst ${sorted.at(-1)!.toFixed(0)} ms`);
    } finally {
      agent.destroy();
      await server.stop();
    }
  });
}

/** CPU used so far (ms) by one process alone, without its children. */
function ownCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Commits so far in the server's database, and the CPU of the processes serving it (ms). */
async function dbCounters(server: Awaited<ReturnType<typeof startServer>>): Promise<{ commits: number; cpu: number }> {
  const c = new pg.Client({ connectionString: server.dbUrl });
  await c.connect();
  try {
    await c.query("SELECT pg_stat_clear_snapshot()");
    const [{ n }] = (await c.query("SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()")).rows;
    const backends = (await c.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).rows
      .map((r: { pid: number }) => r.pid);
    const cpu = server.embedded ? cpuMs(server.pid) - ownCpuMs(server.pid) : cpuMs(...backends);
    return { commits: Number(n), cpu };
  } finally {
    await c.end();
  }
}

/** --only add: the single member add, with CPU and commits per add. */
async function addOnly(server: Awaited<ReturnType<typeof startServer>>): Promise<void> {
  const add = (prefix: string) => (i: number): [string, string, unknown] =>
    ["POST", "/lists/bench@bench.example.com/members", { address: `${prefix}${i}@members.example.org` }];
  await load(server.port, 2, CONNECTIONS, add("w"), 201); // warm-up: JIT, pools, prepared statements
  const before = { own: ownCpuMs(server.pid), ...(await dbCounters(server)) };
  const r = await load(server.port, SECONDS, CONNECTIONS, add("m"), 201);
  const after = { own: ownCpuMs(server.pid), ...(await dbCounters(server)) };
  console.log(`POST /lists/{list}/members        ${fmt(r)}`);
  // The counters' own connection commits a few times: negligible over thousands of adds.
  const per = (x: number) => (x / r.requests).toFixed(2);
  console.log(`  per add: server process ${per(after.own - before.own)} ms CPU, database ${per(after.cpu - before.cpu)} ms CPU, ${per(after.commits - before.commits)} commits`);
}

/** Sequential latency of one GET, `n` times: p50 and p99 in ms. */
async function latency(port: number, path: string, n: number): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await send(port, "GET", path);
    times.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.body.slice(0, 200)}`);
  }
  times.sort((a, b) => a - b);
  return `p50 ${percentile(times, 0.5).toFixed(2)} ms  p99 ${percentile(times, 0.99).toFixed(2)} ms  (${n} requests)`;
}

async function mailmanFace(port: number): Promise<void> {
  // Warm up (JIT, pools) longer than for the native runs: this face's code is cold here.
  await load(port, 3, CONNECTIONS, () => ["GET", "/3.1/lists/bench.bench.example.com"], 200);
  const ours = await load(port, SECONDS, CONNECTIONS, () => ["GET", "/3.1/lists/bench.bench.example.com"], 200);
  console.log(`GET /3.1/lists/{id} (mailroom)    ${fmt(ours)}`);
  console.log(`GET /lists/{list} (native, same run) ${fmt(await load(port, SECONDS, CONNECTIONS, () => ["GET", "/lists/bench.bench.example.com"], 200))}`);
  if (MAILMAN) {
    const u = new URL(MAILMAN);
    const mp = Number(u.port || 80);
    const form = async (path: string, body: Record<string, string>) => new Promise<number>((resolve, reject) => {
      const payload = new URLSearchParams(body).toString();
      const req = http.request({ host: u.hostname, port: mp, method: "POST", path, headers: { authorization: MAILMAN_AUTH, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(payload) } },
        (res) => { res.resume(); res.on("end", () => resolve(res.statusCode ?? 0)); });
      req.on("error", reject);
      req.end(payload);
    });
    await form("/3.1/domains", { mail_host: "bench.example.com" });
    await form("/3.1/lists", { fqdn_listname: "bench@bench.example.com" });
    await load(mp, 3, CONNECTIONS, () => ["GET", "/3.1/lists/bench.bench.example.com"], 200, MAILMAN_AUTH, u.hostname);
    const theirs = await load(mp, SECONDS, CONNECTIONS, () => ["GET", "/3.1/lists/bench.bench.example.com"], 200, MAILMAN_AUTH, u.hostname);
    console.log(`GET /3.1/lists/{id} (Mailman)     ${fmt(theirs)}`);
    console.log(`  mailroom / Mailman: ${(ours.rps / theirs.rps).toFixed(1)}x`);
  }
  // A 100,000-member list: page 1 against page 1,000 of 50 (offset 49,950).
  await send(port, "POST", "/lists", { address: "big@bench.example.com" });
  for (let k = 0; k < 10; k++) {
    const members = Array.from({ length: 10_000 }, (_, i) => ({ address: `u${k * 10_000 + i}@big.example.org` }));
    const r = await send(port, "POST", "/lists/big.bench.example.com/members/bulk", { members });
    if (r.status !== 200) throw new Error(`bulk add failed: ${r.status} ${r.body.slice(0, 200)}`);
  }
  for (const p of [1, 1000, 1, 1000]) await send(port, "GET", `/3.1/lists/big.bench.example.com/roster/member?count=50&page=${p}`);
  console.log(`roster page 1 of 100,000 (50)     ${await latency(port, "/3.1/lists/big.bench.example.com/roster/member?count=50&page=1", 200)}`);
  console.log(`roster page 1,000 of 100,000 (50) ${await latency(port, "/3.1/lists/big.bench.example.com/roster/member?count=50&page=1000", 200)}`);
  console.log(`roster page 1,999 of 100,000 (50) ${await latency(port, "/3.1/lists/big.bench.example.com/roster/member?count=50&page=1999", 200)}`);
}

await main();
