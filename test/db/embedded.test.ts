// The embedded database (DATABASE_URL unset; src/db/embedded.ts): a real PostgreSQL
// cluster in $MAILROOM_VAR_DIR/db on a unix socket only, run as user postgres when
// mailroom runs as root; its data outlives a restart; a kill -9 of mailroom leaves
// the server running, and the next start stops it and starts again; the server
// killed under mailroom stops mailroom (exit 1) and the next start recovers; a
// directory it cannot open (an earlier mailroom's PGlite, another major version),
// or root without a user postgres, is refused with a one-line reason. Runs whatever DATABASE_URL says: the embedded database is the
// subject here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { adminRequest, startServer } from "../helpers/server-process.js";
import { running as alive } from "../helpers/process-state.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function varDir(t: { after(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-embedded-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function postmasterPid(dir: string): number | null {
  try { return Number(readFileSync(join(dir, "db", "postmaster.pid"), "utf8").split("\n")[0]); } catch { return null; }
}

function migrateCli(dir: string, extra: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, MAILROOM_VAR_DIR: dir, ...extra };
  delete env.DATABASE_URL;
  return spawnSync(process.execPath, ["bin/mailroom.js", "migrate"], { cwd: ROOT, env, encoding: "utf8" });
}

test("a real PostgreSQL on a unix socket only, fsync and synchronous commit on, as user postgres when root; data survives a restart", async (t) => {
  const dir = varDir(t);
  const dataDir = join(dir, "db");
  const first = await openDatabase({ url: null, dataDir });
  try {
    await migrate(first);
    const [s] = await first.prisma.$queryRawUnsafe<Record<string, string>[]>(
      `SELECT current_setting('listen_addresses') AS listen, current_setting('fsync') AS fsync,
              current_setting('synchronous_commit') AS sync, current_setting('server_version_num') AS version,
              current_setting('unix_socket_directories') AS sockets, pg_encoding_to_char(encoding) AS encoding
         FROM pg_database WHERE datname = current_database()`);
    assert.deepEqual(s, { listen: "", fsync: "on", sync: "on", version: s!.version, sockets: `"${join(dir, "run")}"`, encoding: "UTF8" });
    assert.ok(Number(s!.version) >= 180000);
    const pid = postmasterPid(dir)!;
    if (userInfo().uid === 0) {
      const postgresUid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);
      assert.equal(statSync(`/proc/${pid}`).uid, postgresUid, "the server runs as postgres");
      assert.equal(statSync(dataDir).uid, postgresUid, "its data directory is postgres's");
    }
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    await first.prisma.domain.create({ data: { mailHost: "kept.example" } });
    // A second process on the same directory is refused (it would stop the first one's server), as is a second open here.
    const second = migrateCli(dir);
    assert.equal(second.status, 1);
    assert.match(second.stderr, /^mailroom: the embedded database is in use by process \d+/);
    await assert.rejects(openDatabase({ url: null, dataDir }), /already open in this process/);
  } finally {
    await first.close();
  }
  assert.equal(postmasterPid(dir), null, "close() stopped the server");

  const again = await openDatabase({ url: null, dataDir });
  try {
    assert.deepEqual((await again.prisma.domain.findMany()).map((d) => d.mailHost), ["kept.example"]);
  } finally {
    await again.close();
  }
});

/**
 * Root without CAP_SYS_PTRACE (Docker's default capabilities): it cannot read
 * /proc/<pid>/cwd of user postgres's server, so the orphan must be told otherwise.
 * setpriv (util-linux) drops the capability for mailroom; null where it cannot.
 */
function withoutPtrace(): string[] | null {
  if (userInfo().uid !== 0) return null;
  const drop = ["setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace", "--"];
  return spawnSync(drop[0]!, [...drop.slice(1), "true"]).status === 0 ? drop : null;
}

const mailroomServe = [process.execPath, "--import", "tsx", join(ROOT, "src/main.ts"), "serve"];

async function killAndRestart(t: { after(fn: () => unknown): void; diagnostic(m: string): void }, argv?: string[]) {
  const dir = varDir(t);
  const env = { DATABASE_URL: undefined, MAILROOM_WORKERS: "0" };
  const started = Date.now();
  const first = await startServer({ varDir: dir, env, argv });
  t.diagnostic(`first start (initdb included): ${Date.now() - started} ms`);
  assert.equal((await adminRequest(first.httpPort, "POST", "/domains", { mailHost: "survives.example" })).status, 201);
  await first.kill9();
  const orphan = postmasterPid(dir)!;
  assert.ok(alive(orphan), "the server outlives a kill -9 of mailroom");

  const restarted = Date.now();
  const second = await startServer({ varDir: dir, env, argv });
  t.diagnostic(`restart after kill -9: ${Date.now() - restarted} ms`);
  try {
    assert.ok(second.logs.some((l) => l.msg === "stopping the embedded PostgreSQL an earlier mailroom left running" && l.serverPid === orphan));
    assert.ok(!alive(orphan), "the orphan was stopped");
    const r = await adminRequest(second.httpPort, "GET", "/domains");
    assert.equal(r.status, 200);
    assert.ok(JSON.stringify(r.body).includes("survives.example"), "a commit before the kill is there");
  } finally {
    assert.equal(await second.stop(), 0);
  }
  const pid = postmasterPid(dir);
  assert.equal(pid, null, "SIGTERM stopped the server too (postmaster.pid removed)");
  assert.ok(!existsSync(join(dir, "run", ".s.PGSQL.5432")));
}

test("kill -9 of mailroom serve leaves its server running; the next start stops it and starts again; SIGTERM stops both", (t) => killAndRestart(t));

const noPtrace = withoutPtrace();
test("the same as root without CAP_SYS_PTRACE (the orphan is told by its command line, not its working directory)",
  { skip: !noPtrace && "needs root and setpriv" },
  (t) => killAndRestart(t, [...noPtrace!, ...mailroomServe]));

/** Live servers whose command line names dir's data directory (what a ps would show). */
function serversOf(dir: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number)) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (args[args.indexOf("-D") + 1] === join(dir, "db") && alive(pid)) found.push(pid);
    } catch { /* gone */ }
  }
  return found;
}

test("a startup that fails (the HTTP port in use) stops the cluster it started: exit 1, no server left", async (t) => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
  t.after(() => busy.close());
  const dir = varDir(t);
  const port = (busy.address() as AddressInfo).port;
  await assert.rejects(startServer({ varDir: dir, env: { DATABASE_URL: undefined, MAILROOM_WORKERS: "0", MAILROOM_HTTP_PORT: String(port) } }),
    /server exited \(1\) before the log line; stderr: mailroom: .*EADDRINUSE/);
  assert.ok(existsSync(join(dir, "db", "PG_VERSION")), "the cluster was made and started");
  assert.equal(postmasterPid(dir), null, "and stopped (postmaster.pid removed)");
  assert.deepEqual(serversOf(dir), []);
});

test("SIGTERM during startup (after the migrations): mailroom stops its cluster and exits 0", async (t) => {
  const dir = varDir(t);
  const env: NodeJS.ProcessEnv = { ...process.env, MAILROOM_VAR_DIR: dir, MAILROOM_WORKERS: "0", MAILROOM_HTTP_PORT: "0", MAILROOM_LMTP_PORT: "0",
    MAILROOM_ADMIN_PASSWORD: "test-admin-password", MAILROOM_POSTMAP: "off", MAILROOM_POSTFIX_RELOAD: "off" };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/main.ts"), "serve"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (l) => {
      lines.push(l);
      // The first signal at the earliest point the log shows: the cluster runs, nothing listens yet.
      if (l.includes('"migrations applied"')) { child.kill("SIGTERM"); child.kill("SIGTERM"); resolve(); }
    });
    void exited.then(() => reject(new Error(`exited before its migrations: ${lines.join("\n")}`)));
  });
  assert.equal(await exited, 0);
  assert.ok(!lines.some((l) => l.includes('"listening"') && l.includes('"http"')), "it stopped before listening on HTTP");
  assert.equal(postmasterPid(dir), null, "the cluster was stopped");
  assert.deepEqual(serversOf(dir), []);
});

test("an initdb cut short (mailroom and initdb killed) leaves no half-made cluster: the next start removes it and makes one", async (t) => {
  const dir = varDir(t);
  const env: NodeJS.ProcessEnv = { ...process.env, MAILROOM_VAR_DIR: dir };
  delete env.DATABASE_URL;
  // Its own process group, so that initdb (mailroom's child) is killed with it.
  const child = spawn(process.execPath, ["bin/mailroom.js", "migrate"], { cwd: ROOT, env, stdio: "ignore", detached: true });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const unfinished = () => readdirSync(dir).filter((n) => n.startsWith("db.init-"));
  for (let i = 0; i < 1500 && !unfinished().some((n) => existsSync(join(dir, n, "PG_VERSION"))); i++) await new Promise((r) => setTimeout(r, 10));
  process.kill(-child.pid!, "SIGKILL");
  await exited;
  assert.equal(unfinished().length, 1, "initdb was running in a directory of its own");
  assert.ok(!existsSync(join(dir, "db", "PG_VERSION")), "db itself holds no half-made cluster");
  const r = migrateCli(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(unfinished(), [], "the unfinished one was removed");
  assert.ok(existsSync(join(dir, "db", "PG_VERSION")));
});

test("an earlier mailroom's PGlite directory is refused with a one-line reason naming what to do", async (t) => {
  const dir = varDir(t);
  // PGlite's layout: a PostgreSQL data directory whose files are world-writable (initdb never writes those).
  const dataDir = join(dir, "db");
  mkdirSync(join(dataDir, "base"), { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, "PG_VERSION"), "18\n");
  chmodSync(join(dataDir, "PG_VERSION"), 0o666);
  const r = migrateCli(dir);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^mailroom: .*db holds an embedded PGlite database of an earlier mailroom.*move it away.*DATABASE_URL/);
  assert.equal(readFileSync(join(dataDir, "PG_VERSION"), "utf8"), "18\n", "left as it was");
});

test("a data directory of another PostgreSQL major version is refused with a one-line reason", async (t) => {
  const dir = varDir(t);
  const dataDir = join(dir, "db");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, "PG_VERSION"), "16\n", { mode: 0o600 });
  const r = migrateCli(dir);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /holds a PostgreSQL 16 database and the embedded PostgreSQL is 18: upgrade it .*pg_upgrade.*DATABASE_URL/);
});

test("the server killed under mailroom serve: mailroom stops with exit code 1, and the next start recovers", async (t) => {
  const dir = varDir(t);
  const env = { DATABASE_URL: undefined, MAILROOM_WORKERS: "0" };
  const first = await startServer({ varDir: dir, env });
  assert.equal((await adminRequest(first.httpPort, "POST", "/domains", { mailHost: "kept.example" })).status, 201);
  process.kill(postmasterPid(dir)!, "SIGKILL");
  const code = await new Promise<number | null>((resolve) => first.child.once("exit", resolve));
  assert.equal(code, 1);
  assert.ok(first.logs.some((l) => l.msg === "embedded PostgreSQL exited" && l.signal === "SIGKILL"));
  const second = await startServer({ varDir: dir, env });
  try {
    const r = await adminRequest(second.httpPort, "GET", "/domains");
    assert.ok(JSON.stringify(r.body).includes("kept.example"));
  } finally {
    await second.stop();
  }
});

test("as root under umask 077: the var dir and the parents mailroom creates stay reachable for user postgres", { skip: userInfo().uid !== 0 && "only root runs the server as user postgres" }, async (t) => {
  const dir = varDir(t);
  chmodSync(dir, 0o711); // the operator's directory, open to postgres
  const nested = join(dir, "a", "b", "var");
  const env: NodeJS.ProcessEnv = { ...process.env, MAILROOM_VAR_DIR: nested };
  delete env.DATABASE_URL;
  const r = spawnSync("sh", ["-c", 'umask 077 && exec "$0" bin/mailroom.js migrate', process.execPath], { cwd: ROOT, env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  for (const d of [join(dir, "a"), join(dir, "a", "b"), nested]) assert.equal(statSync(d).mode & 0o777, 0o701, d);
});

test("as root without a user postgres: a one-line reason naming DATABASE_URL, no user created", { skip: userInfo().uid !== 0 && "only root runs the server as user postgres" }, async (t) => {
  const dir = varDir(t);
  // An `id` that knows no postgres, first on PATH.
  const bin = mkdtempSync(join(tmpdir(), "mailroom-fake-id-"));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(join(bin, "id"), "#!/bin/sh\necho \"id: 'postgres': no such user\" >&2\nexit 1\n", { mode: 0o755 });
  const r = migrateCli(dir, { PATH: `${bin}:${process.env.PATH}` });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^mailroom: PostgreSQL does not run as root and there is no user postgres .*DATABASE_URL/);
  assert.ok(!existsSync(join(dir, "db", "PG_VERSION")), "no initdb");
});
