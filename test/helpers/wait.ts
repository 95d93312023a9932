// Polling for tests that wait on another process or a background worker. Waits on a
// condition, never on a fixed sleep, so slow shared machines only make tests slower.

/** Resolves with the probe's first truthy value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Resolves once `cond` holds. */
export async function until(cond: () => Promise<boolean>, timeoutMs = 15_000, what = "condition"): Promise<void> {
  await waitFor(what, cond, timeoutMs);
}
