// A lock file holding the owner's pid, so that only one process opens the embedded
// database. A lock left by a process that died (kill -9) is taken over. The pid is
// written to a temporary file first and link()ed into place, so the lock file
// never exists without its pid (another process reading it then would see pid 0
// and take a live lock over).
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";

export interface DirLock { release(): void }

export class LockedError extends Error {}

export function acquireDirLock(path: string): DirLock {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(tmp, path); // fails with EEXIST, never replaces
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
  } finally {
    try { unlinkSync(tmp); } catch { /* already gone */ }
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}
