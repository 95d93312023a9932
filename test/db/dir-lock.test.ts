// acquireDirLock (src/db/dir-lock.ts): one holder at a time, a dead holder's lock is
// taken over, and no temporary file is left behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireDirLock, LockedError } from "../../src/db/dir-lock.js";

function dir(t: { after(fn: () => void): void }) {
  const d = mkdtempSync(join(tmpdir(), "mailroom-lock-"));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test("a lock held by a live process is refused; released, it can be taken again", (t) => {
  const path = join(dir(t), "lock");
  // pid 1 is always alive (EPERM counts as alive).
  writeFileSync(path, "1");
  assert.throws(() => acquireDirLock(path), (e: unknown) => e instanceof LockedError && /process 1\b/.test((e as Error).message));
  rmSync(path);
  const lock = acquireDirLock(path);
  assert.equal(readFileSync(path, "utf8"), String(process.pid));
  lock.release();
  assert.deepEqual(readdirSync(join(path, "..")), [], "no lock and no temporary file left");
});

test("a dead process's lock is taken over", (t) => {
  const path = join(dir(t), "lock");
  const child = spawn(process.execPath, ["-e", ""]);
  writeFileSync(path, String(child.pid ?? 999_999_999));
  return new Promise<void>((resolve) => child.on("exit", () => {
    const lock = acquireDirLock(path);
    assert.equal(readFileSync(path, "utf8"), String(process.pid));
    lock.release();
    resolve();
  }));
});
