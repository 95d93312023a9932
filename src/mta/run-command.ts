// Runs an operator-configured command line (MAILROOM_POSTMAP, MAILROOM_POSTFIX_RELOAD)
// through sh with extra arguments passed safely as "$@". Used by map-file.ts and reloader.ts.
import { spawn } from "node:child_process";

export interface CommandResult {
  code: number | null;
  stderr: string;
}

export function runCommand(
  command: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", `${command} "$@"`, "sh", ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => { if (stderr.length < 8192) stderr += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", (err) => { clearTimeout(timer); resolve({ code: 127, stderr: err.message }); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stderr: stderr.trim() }); });
    // A command that does not read its input (EPIPE) must not crash us.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** The first meaningful line of a command's complaint, for an error message. */
export function firstLine(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /fatal|error/i.test(l)) ?? lines[0] ?? "";
}
