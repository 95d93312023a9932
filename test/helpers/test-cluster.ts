// Without DATABASE_URL, the test databases of a test process live in a PostgreSQL
// cluster of its own, started by the same code as mailroom's embedded database
// (src/db/embedded.ts) and stopped when the process exits or is interrupted. Its
// data directory is a copy of a template that initdb made once (a copy takes a few
// hundred ms of I/O, initdb about a second of CPU on a loaded machine, once per
// test file otherwise). The template lives in the system's temporary directory,
// named after the user, the PostgreSQL binaries' version and src/db/embedded.ts's
// contents (a change in any makes a new one), and is made under a lock so that
// test processes starting together do not all run initdb.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { acquireDirLock, LockedError } from "../../src/db/dir-lock.js";
import { embeddedVersion, initCluster, startCluster } from "../../src/db/embedded.js";
import { atExit, sleepSync } from "./at-exit.js";
import { running } from "./process-state.js";

const EMBEDDED_TS = fileURLToPath(new URL("../../src/db/embedded.ts", import.meta.url));

/** A template data directory, made by the first test process that needs it. */
async function template(): Promise<string> {
  const hash = createHash("sha256").update(readFileSync(EMBEDDED_TS)).digest("hex").slice(0, 12);
  // Per user (another user's template is not ours to write or copy) and per
  // PostgreSQL build (a new one may not open an older one's files).
  const dir = join(tmpdir(), `mailroom-pg-template-${userInfo().uid}-${await embeddedVersion()}-${hash}`);
  const data = join(dir, "db");
  if (existsSync(join(data, "PG_VERSION"))) return data;
  mkdirSync(dir, { recursive: true });
  for (;;) {
    try {
      const lock = acquireDirLock(join(dir, "initdb.lock"));
      try {
        if (!existsSync(join(data, "PG_VERSION"))) {
          // initdb into a directory of its own, renamed into place once complete.
          const tmp = join(dir, `db.${process.pid}`);
          rmSync(tmp, { recursive: true, force: true });
          await initCluster(tmp);
          renameSync(tmp, data);
        }
        return data;
      } finally {
        lock.release();
      }
    } catch (err) {
      if (!(err instanceof LockedError)) throw err;
      await new Promise((r) => setTimeout(r, 100)); // another process is running initdb
    }
  }
}

/** Starts this process's cluster; resolves with its `postgres` database's URL. */
export async function startTestCluster(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), "mailroom-testdb-"));
  const dataDir = join(work, "db");
  // cp -a: as root the files stay user postgres's.
  const cp = spawnSync("cp", ["-a", await template(), dataDir]);
  if (cp.status !== 0) throw new Error(`copying the template cluster: ${cp.stderr}`);
  const cluster = await startCluster({ dataDir, socketDir: join(work, "run"), maxConnections: 100 });
  cluster.unref();
  // At exit, and on SIGINT/SIGTERM (the server is in a process group of its own, so
  // a Ctrl-C does not reach it): immediate shutdown (the data is thrown away), then
  // the directory once it is gone.
  atExit(() => {
    try { process.kill(cluster.pid, "SIGQUIT"); } catch { /* already gone */ }
    for (let i = 0; i < 100 && running(cluster.pid); i++) sleepSync(50);
    rmSync(work, { recursive: true, force: true });
  });
  return cluster.adminUrl;
}

