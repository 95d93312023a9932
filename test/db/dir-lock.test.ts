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

test("two processes taking over the same dead process's lock at the same instant: exactly one gets it", async (t) => {
  const d = dir(t);
  const rounds = 150;
  // Each round a lock of a dead process (pids are below 4194304 on Linux), taken by both children at one instant.
  for (let i = 0; i < rounds; i++) writeFileSync(join(d, `lock-${i}`), "4194304");
  const start = Date.now() + 1500; // both children loaded by then
  const script = `
    import { acquireDirLock } from ${JSON.stringify(new URL("../../src/db/dir-lock.ts", import.meta.url).href)};
    const got = [];
    for (let i = 0; i < ${rounds}; i++) {
      while (Date.now() < ${start} + i * 15) {}
      try { acquireDirLock(${JSON.stringify(d)} + "/lock-" + i); got.push(i); } catch {}
    }
    process.stdout.write(JSON.stringify(got));`;
  const run = () => new Promise<number[]>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (b) => { out += b; });
    child.on("exit", (code) => code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`)));
  });
  const [a, b] = await Promise.all([run(), run()]);
  const both = a.filter((i) => b.includes(i));
  const neither = Array.from({ length: rounds }, (_, i) => i).filter((i) => !a.includes(i) && !b.includes(i));
  t.diagnostic(`first got ${a.length}, second ${b.length}`);
  assert.deepEqual(both, [], "rounds both took");
  assert.deepEqual(neither, [], "rounds nobody took");
});
