// A counting semaphore: at most `size` holders at once, the rest wait in order.
// The release a holder gets works once, so a double release cannot add a slot.
export interface Semaphore { acquire(): Promise<() => void> }

export function semaphore(size: number): Semaphore {
  let free = size;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return {
    async acquire() {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      let released = false;
      return () => {
        if (!released) { released = true; release(); }
      };
    },
  };
}

/** One semaphore per owner (a database, say), made on first use with `size(owner)` slots. */
export function semaphorePer<K extends object>(size: (owner: K) => number): (owner: K) => Semaphore {
  const byOwner = new WeakMap<K, Semaphore>();
  return (owner) => {
    let s = byOwner.get(owner);
    if (!s) byOwner.set(owner, (s = semaphore(size(owner))));
    return s;
  };
}
