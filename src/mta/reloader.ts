// Runs the Postfix reload command (MAILROOM_POSTFIX_RELOAD) after the maps
// changed, so trivial-rewrite stops routing with a map up to ~10 s old.
// Debounced: requests while a reload runs collapse into one more run after it.
// A failed reload is logged, never an error for the caller: the maps are right
// on disk and Postfix picks them up on its own, only later. Used by maps.ts.
import type { Logger } from "../log.js";
import { firstLine, runCommand } from "./run-command.js";

export interface Reloader {
  /** Ask for a reload; returns at once. */
  request(): void;
  /** Resolves when no reload is running or pending (tests, shutdown). */
  idle(): Promise<void>;
}

export function createReloader(command: string | null, configDir: string | null, log: Logger): Reloader {
  let running: Promise<void> | null = null;
  let pending = false;

  async function loop(): Promise<void> {
    while (pending) {
      pending = false;
      const started = Date.now();
      const env = configDir ? { MAIL_CONFIG: configDir } : undefined;
      const r = await runCommand(command!, [], { env, timeoutMs: 30_000 });
      if (r.code === 0) log.debug({ ms: Date.now() - started }, "postfix reloaded");
      else log.warn({ command, code: r.code, reason: firstLine(r.stderr) }, "postfix reload failed; Postfix sees the new maps within about 10 s");
    }
  }

  return {
    request() {
      if (!command) return;
      pending = true;
      if (!running) running = loop().finally(() => { running = null; });
    },
    async idle() {
      while (running) await running;
    },
  };
}
