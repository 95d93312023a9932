// Starts `mailroom serve` as a real child process (ports 0, its own var dir) and
// waits for its "listening" lines. For tests that need a real process: HTTP over
// the network, kill -9 and restart, two processes on one database.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { postmasterOf } from "../../src/db/embedded.js";
import { atExit, sleepSync } from "./at-exit.js";
import { running } from "./process-state.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  httpPort: number;
  lmtpPort: number;
  varDir: string;
  /** Every JSON log line seen so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the first log line matching, waiting up to `ms`. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (no clean-up at all) and wait for exit. */
  kill9(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Reuse a var dir (restart after a crash). */
  varDir?: string;
  timeoutMs?: number;
  /** The command to run instead of the TypeScript sources through tsx (bench/fanout.ts runs `npm start`'s). */
  argv?: string[];
}

export const TEST_ADMIN_PASSWORD = "test-admin-password";

/** A REST call to a server started here, as the admin. The body is parsed when it is JSON. */
export async function adminRequest(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString("base64")}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text };
}

/**
 * Var dirs of servers started here. A server killed with -9 leaves its embedded
 * PostgreSQL running (the next start in that var dir stops it, as in production);
 * one the test never restarts is stopped when the test process ends. The var dirs
 * this helper made itself (each holds a ~48 MB cluster) are removed then too; not
 * by stop(), since tests restart servers on the same var dir.
 */
const varDirs = new Set<string>();
const madeHere = new Set<string>();
atExit(() => {
  const stopping: number[] = [];
  for (const dir of varDirs) {
    try {
      const pid = Number(readFileSync(join(dir, "db", "postmaster.pid"), "utf8").split("\n")[0]);
      // Only a server of that directory, never a pid reused since (told without ptrace, as mailroom does).
      if (pid && postmasterOf(pid, join(dir, "db")).state === "ours") { process.kill(pid, "SIGQUIT"); stopping.push(pid); }
    } catch { /* stopped, or never started */ }
  }
  for (let i = 0; i < 100 && stopping.some(running); i++) sleepSync(50);
  for (const dir of madeHere) rmSync(dir, { recursive: true, force: true });
});

export async function startServer(opts: StartOptions = {}): Promise<ServerProcess> {
  const varDir = opts.varDir ?? mkdtempSync(join(tmpdir(), "mailroom-var-"));
  if (!opts.varDir) madeHere.add(varDir);
  varDirs.add(varDir);
  const env: Record<string, string | undefined> = {
    ...process.env,
    MAILROOM_VAR_DIR: varDir,
    MAILROOM_HTTP_PORT: "0",
    MAILROOM_LMTP_PORT: "0",
    MAILROOM_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    MAILROOM_POSTMAP: "off",
    MAILROOM_POSTFIX_RELOAD: "off",
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const [file, ...args] = opts.argv ?? [process.execPath, "--import", "tsx", join(ROOT, "src/main.ts"), "serve"];
  const child = spawn(file!, args, {
    cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = "";
  child.stderr!.on("data", (d) => { stderr += d; });
  createInterface({ input: child.stdout! }).on("line", (text) => {
    let line: Record<string, unknown>;
    try { line = JSON.parse(text); } catch { return; }
    logs.push(line);
    for (const w of [...waiters]) if (w.match(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
  });
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));

  // 90 s: a loaded 2-core machine (two test files at once, CI's neighbours); with
  // the embedded database a server has taken 4–6 s (initdb included) on it.
  function waitForLog(match: (l: Record<string, unknown>) => boolean, ms = opts.timeoutMs ?? 90_000) {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for a log line; stderr: ${stderr.slice(-2000)}`)), ms);
      const w = { match, resolve: (l: Record<string, unknown>) => { clearTimeout(timer); resolve(l); } };
      waiters.push(w);
      exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited (${code}) before the log line; stderr: ${stderr.slice(-2000)}`)); });
    });
  }

  const [http, lmtp] = await Promise.all([
    waitForLog((l) => l.msg === "listening" && l.service === "http"),
    waitForLog((l) => l.msg === "listening" && l.service === "lmtp"),
  ]).catch(async (err: unknown) => {
    // A server that did not come up in time is killed: left running, it kept the
    // test file's process alive and the whole suite hung after the failure.
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
    throw err;
  });
  return {
    child, varDir, logs, waitForLog,
    httpPort: http.port as number,
    lmtpPort: lmtp.port as number,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      return exited;
    },
    async kill9() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
