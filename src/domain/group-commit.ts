// Group commit: calls made while a statement is in flight go together in the next
// one, so that under load many share a round trip and a commit, and a lone call goes
// at once. One statement at a time. When a batch's statement fails, each of its
// calls is tried alone, one after another: one item the database refuses must not
// fail its neighbours. Used by LMTP ingest (services/incoming.ts), the RCPT and
// socketmap lookups (db/list-lookup.ts) and delivery's settles (queue/group-transition.ts).
export interface GroupCommitOptions<T, R> {
  /** How many of the waiting items (at least 1) the next statement takes. */
  take(waiting: readonly T[]): number;
  /** One statement for the batch: one result per item, in order. */
  runBatch(items: T[]): Promise<R[]>;
  /** The same for one item: after a failed batch. */
  runOne(item: T): Promise<R>;
  /**
   * Each statement leaves at the end of the event loop's I/O callbacks (setImmediate),
   * not from the first caller's: calls read in the same poll (several LMTP sessions'
   * RCPTs or DATA ends) go together.
   */
  endOfIo?: boolean;
}

interface Waiting<T, R> { item: T; resolve(r: R): void; reject(err: unknown): void }

export function groupCommit<T, R>(o: GroupCommitOptions<T, R>): (item: T) => Promise<R> {
  let waiting: Waiting<T, R>[] = [];
  let busy = false;

  async function flush(): Promise<void> {
    busy = true;
    try {
      while (waiting.length) {
        if (o.endOfIo) await new Promise((resolve) => setImmediate(resolve));
        const n = Math.max(1, o.take(waiting.map((w) => w.item)));
        const batch = waiting.slice(0, n);
        waiting = waiting.slice(n);
        try {
          const results = await o.runBatch(batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(results[i]!));
        } catch (err) {
          if (batch.length === 1) batch[0]!.reject(err);
          else for (const w of batch) await o.runOne(w.item).then(w.resolve, w.reject);
        }
      }
    } finally {
      busy = false;
    }
  }

  return (item) => new Promise<R>((resolve, reject) => {
    waiting.push({ item, resolve, reject });
    if (!busy) void flush();
  });
}
