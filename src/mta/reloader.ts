// Runs the MTA's reload command after its files changed: MAILROOM_POSTFIX_RELOAD, so
// trivial-rewrite stops routing with a map up to ~10 s old, or MAILROOM_SENDMAIL_RELOAD
// (a SIGHUP), so Sendmail reads a new relay domain. Debounced: requests made while
// a reload runs are all served by one more run after it. A failed reload is logged,
// never an error for the caller: the files are right on disk (Postfix picks them up
// on its own, only later; Sendmail at its next restart). Used by maps.ts.
import type { Logger } from "../log.js";
import { firstLine, runCommand } from "./run-command.js";

export interface Reloader {
  /** Resolves once a reload that started after this call has finished (or failed). */
  request(): Promise<void>;
  /** Resolves when no reload is running or pending (tests, shutdown). */
  idle(): Promise<void>;
}

export function createReloader(command: string | null, configDir: string | null, log: Logger): Reloader {
  let running: Promise<void> | null = null;
  /** Callers waiting for the next run; null when none is pending. */
  let next: { promise: Promise<void>; resolve: () => void } | null = null;

  async function once(): Promise<void> {
    const started = Date.now();
    const env = configDir ? { MAIL_CONFIG: configDir } : undefined;
    const r = await runCommand(command!, [], { env, timeoutMs: 30_000 });
    if (r.code === 0) log.debug({ command, ms: Date.now() - started }, "mta reloaded");
    else log.warn({ command, code: r.code, reason: firstLine(r.stderr) }, "mta reload failed; the MTA sees the new files late (Postfix: within about 10 s; Sendmail: at its next restart)");
  }

  async function loop(): Promise<void> {
    while (next) {
      const batch = next;
      next = null;
      await once();
      batch.resolve();
    }
  }

  return {
    request() {
      if (!command) return Promise.resolve();
      if (!next) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => { resolve = r; });
        next = { promise, resolve };
      }
      const waitFor = next.promise;
      if (!running) running = loop().finally(() => { running = null; });
      return waitFor;
    },
    async idle() {
      while (running) await running;
    },
  };
}
