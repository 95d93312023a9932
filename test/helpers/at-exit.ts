// Clean-up that must run however a test process ends: at 'exit', and on SIGINT or
// SIGTERM (a Ctrl-C, a CI job cancelled), where Node exits without 'exit' handlers.
// Each function runs once, synchronously; after a signal it is raised again with
// Node's default action, so the process still ends as the signal says.
const cleanups: (() => void)[] = [];
let installed = false;

function runAll(): void {
  for (const fn of cleanups.splice(0)) {
    try { fn(); } catch { /* the others still run */ }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  process.removeListener("SIGINT", onSignal);
  process.removeListener("SIGTERM", onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

export function atExit(fn: () => void): void {
  cleanups.push(fn);
  if (installed) return;
  installed = true;
  process.once("exit", runAll);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** Blocks for ms (an 'exit' handler cannot await). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
