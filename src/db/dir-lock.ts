// A lock file holding the owner's pid, so that only one process opens the embedded
// database. A lock left by a process that died (kill -9) is taken over. The pid is
// written to a temporary file first and link()ed into place, so the lock file
// never exists without its pid (another process reading it then would see pid 0
// and take a live lock over). A dead holder's lock is renamed away, never unlinked
// (see below), so that two processes taking it over at once cannot both succeed.
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";

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
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path); // fails with EEXIST, never replaces
        return { release: () => { try { unlinkSync(path); } catch { /* already gone */ } } };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const pid = readPid(path);
      if (pid === null) continue; // taken away under us: try again
      if (pid && pid !== process.pid && alive(pid)) throw locked(pid, path);
      // A dead holder's lock is moved away, not unlinked: a rename moves one file,
      // so of two processes taking it over at once only one moves the dead
      // holder's. The other moves nothing, or the first one's fresh lock, which
      // it puts back before giving up.
      const moved = `${path}.stale.${process.pid}.${randomBytes(4).toString("hex")}`;
      try {
        renameSync(path, moved);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw err;
      }
      const movedPid = readPid(moved);
      if (movedPid !== pid && movedPid && alive(movedPid)) {
        try { linkSync(moved, path); } catch { /* a third process holds it now */ }
        unlinkSync(moved);
        throw locked(movedPid, path);
      }
      unlinkSync(moved);
    }
    throw new LockedError(`could not take ${path}`);
  } finally {
    try { unlinkSync(tmp); } catch { /* already gone */ }
  }
}

function locked(pid: number, path: string): LockedError {
  return new LockedError(`the embedded database is in use by process ${pid} (${path}); set DATABASE_URL to share a PostgreSQL server between processes`);
}

/** The pid in a lock file, or null when there is no such file. */
function readPid(path: string): number | null {
  try {
    return Number(readFileSync(path, "utf8").trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}
