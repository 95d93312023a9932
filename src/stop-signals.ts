// SIGTERM/SIGINT for a mailroom command, caught from its first line: a signal
// during startup (initdb, migrations, the first map write, binding the ports) is
// remembered and acted on at the next step, after which the command closes what it
// opened, the embedded database's cluster last. Node's default (exit at once) would
// leave that cluster running with no mailroom. Once stopping, further signals are
// ignored: a second Ctrl-C must not cut the shutdown short.
export class StopRequested extends Error {
  constructor(readonly signal: string) {
    super(`stopped by ${signal} before it had started`);
  }
}

export interface StopSignals {
  /** The signal received, if any. */
  readonly requested: string | null;
  /** Throws StopRequested once a signal came: called between startup steps. */
  check(): void;
  /** From now on a signal calls fn (once), instead of being remembered. */
  onStop(fn: (signal: string) => void): void;
}

export function catchStopSignals(): StopSignals {
  let requested: string | null = null;
  let handler: ((signal: string) => void) | null = null;
  const on = (signal: NodeJS.Signals) => {
    if (requested) return;
    requested = signal;
    handler?.(signal);
  };
  process.on("SIGTERM", on);
  process.on("SIGINT", on);
  return {
    get requested() { return requested; },
    check() { if (requested) throw new StopRequested(requested); },
    onStop(fn) {
      handler = fn;
      if (requested) fn(requested);
    },
  };
}
