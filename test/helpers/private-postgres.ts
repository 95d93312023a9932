// A private PostgreSQL cluster for tests that need a server in a state the shared
// one must never be put in: initdb into a temporary directory with the Debian
// package's binaries (/usr/lib/postgresql/N/bin), started on a free loopback port,
// trust auth, run as the `postgres` user when the test runs as root (initdb refuses
// root). Throws (the test fails, never skips) when it cannot start.
import { execFile } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./postfix.js";

const run = promisify(execFile);

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /**
   * Restarts the cluster as a standby with `hot_standby = off` and no primary to
   * follow: it stays in recovery and every new connection is refused with SQLSTATE
   * 57P03 ("the database system is not accepting connections"), the class a
   * starting server answers with.
   */
  restartInRecovery(): Promise<void>;
  /** Ends recovery (pg_ctl promote): the server accepts connections again. */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  if (!versions.length) throw new Error(`no PostgreSQL server binaries under ${root} (apt-get install postgresql)`);
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0]!, "bin");
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "mailroom-pg-"));
  const data = join(dir, "data");
  const asRoot = userInfo().uid === 0;
  let uid = 0;
  let gid = 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    uid = Number(stdout.trim());
    gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  // As root, run each binary as postgres with the same environment (setpriv keeps it).
  const pg = (cmd: string, args: string[]) => asRoot
    ? run("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", join(bin, cmd), ...args], { cwd: dir })
    : run(join(bin, cmd), args, { cwd: dir });
  const port = await freePort();
  const ctl = (...args: string[]) => pg("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-t", "60", ...args]);
  await pg("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  appendFileSync(join(data, "postgresql.conf"), [
    `port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`,
    "fsync = off", "shared_buffers = 16MB", "max_connections = 40", "",
  ].join("\n"));
  try {
    await ctl("start");
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`private PostgreSQL did not start: ${(err as Error).message}`);
  }
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restartInRecovery() {
      await ctl("stop", "-m", "fast");
      appendFileSync(join(data, "postgresql.conf"), "hot_standby = off\n");
      writeFileSync(join(data, "standby.signal"), "");
      if (asRoot) chownSync(join(data, "standby.signal"), uid, gid);
      // pg_ctl -w returns once the postmaster reports "standby" (recovery started).
      await ctl("start");
    },
    async promote() {
      await ctl("promote");
    },
    async stop() {
      if (!running) return;
      running = false;
      try { await ctl("stop", "-m", "immediate"); } finally { rmSync(dir, { recursive: true, force: true }); }
    },
  };
}
