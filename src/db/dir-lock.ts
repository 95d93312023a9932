// A lock file holding the owner's pid, so that only one process opens the embedded
// database. A lock left by a process that died (kill -9) is taken over.
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from "node:fs";

export interface DirLock { release(): void }

export class LockedError extends Error {}

export function acquireDirLock(path: string): DirLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => { try { unlinkSync(path); } catch { /* already gone */ } } };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (pid && pid !== process.pid && alive(pid)) {
        throw new LockedError(`the embedded database is in use by process ${pid} (${path}); set DATABASE_URL to share a PostgreSQL server between processes`);
      }
      unlinkSync(path);
    }
  }
  throw new LockedError(`could not take ${path}`);
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}
