// The test helpers' clean-up (test/helpers/at-exit.ts): a test process that ends,
// by exiting or by SIGTERM, leaves no PostgreSQL server and no data directory of
// its helpers behind: server-process.ts's var dirs (each a ~48 MB cluster, its
// server left running by a kill -9 of mailroom) and test-cluster.ts's cluster.
// Runs without DATABASE_URL whatever it says: the embedded clusters are the subject.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { running as alive } from "../helpers/process-state.js";

const helpers = new URL("../helpers/", import.meta.url).href;

/** Runs script in a test-like process; resolves with its first line of output and its exit. */
function runScript(script: string): Promise<{ line: string; child: ReturnType<typeof spawn>; exited: Promise<unknown> }> {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { env, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", (line) => resolve({ line, child, exited }));
    void exited.then(() => reject(new Error("exited without output")));
  });
}

test("server-process.ts: a var dir it made is removed at exit, with the server a kill -9 of mailroom left running", async () => {
  const { line, exited } = await runScript(`
    import { startServer } from ${JSON.stringify(helpers + "server-process.ts")};
    const s = await startServer({ env: { DATABASE_URL: undefined, MAILROOM_WORKERS: "0" } });
    await s.kill9();
    const pid = Number((await import("node:fs")).readFileSync(s.varDir + "/db/postmaster.pid", "utf8").split("\\n")[0]);
    console.log(JSON.stringify({ varDir: s.varDir, pid }));`);
  const { varDir, pid } = JSON.parse(line) as { varDir: string; pid: number };
  await exited;
  assert.ok(pid > 0);
  assert.ok(!alive(pid), "the orphaned server was stopped");
  assert.ok(!existsSync(varDir), "the var dir was removed");
});

test("test-cluster.ts: SIGTERM to the test process stops its cluster and removes its directory", async () => {
  const { line, child, exited } = await runScript(`
    import { startTestCluster } from ${JSON.stringify(helpers + "test-cluster.ts")};
    const url = await startTestCluster();
    console.log(new URL(url).searchParams.get("host"));
    setInterval(() => {}, 1000);`);
  const work = dirname(line);
  const pid = Number(readFileSync(`${work}/db/postmaster.pid`, "utf8").split("\n")[0]);
  assert.ok(alive(pid));
  child.kill("SIGTERM");
  await exited;
  assert.equal(child.signalCode, "SIGTERM", "the process still ends by the signal");
  assert.ok(!alive(pid), "its cluster was stopped");
  assert.ok(!existsSync(work), "its directory was removed");
});
