// Group commit for the generated MTA files (Postfix maps, Exim or Sendmail files) on PostgreSQL. A transaction that changed
// lists or domains hands its delta (map-rows.ts) to this process's writer before
// it commits and waits. One write runs at a time; the requests that arrive during
// it form the next group, written at once: under a session advisory lock (on a
// connection outside the pool, so it never queues behind the members that wait
// for it) the writer reads the committed lists, lays every member's delta over
// them, writes and postmaps the maps once, then lets the members commit, and
// unlocks only once all have committed or rolled back, so the next writer in any
// process reads a state that includes them and the maps never go back in time.
// A failed write fails every member (they roll back); a member that rolls back
// after a good write, or a write that renamed some maps and then failed, makes the
// writer rewrite the maps from the committed state before it unlocks.
import type { Database } from "../db/client.js";
import { MailroomError } from "../domain/errors.js";
import type { Logger } from "../log.js";
import { ALL_ROWS_SQL, applyDeltas, sortRows, type MapRow, type MapsDelta } from "./map-rows.js";
import type { MapWriter } from "./map-writer.js";
import type { MapsWrite } from "./updater.js";

/** pg_advisory_lock key: "maps" (distinct from Prisma Migrate's). */
export const MAPS_LOCK_KEY = 0x6d61_7073;

/** How long a group waits for the maps lock (members' transactions time out at 120 s). */
const LOCK_TIMEOUT_MS = 60_000;

/** A member that has not settled by then is taken as rolled back (its transaction timed out long before). */
const SETTLE_TIMEOUT_MS = 300_000;

interface Member {
  /** null: a plain rewrite from the committed state (writeNow). */
  delta: MapsDelta | null;
  written: Deferred<{ changed: boolean; error?: Error }>;
  settled: Deferred<boolean>;
  /** The group is over: the maps are unlocked (and rewritten if they had to be). */
  done: Deferred<void>;
}

export interface GroupWriter {
  /** Waits until the maps on disk include `delta` (or failed); the caller must settle. */
  submit(delta: MapsDelta | null): Promise<MapsWrite>;
  /** Groups written so far (tests, benchmark). */
  readonly groups: number;
}

export function createGroupWriter(db: Database, writer: MapWriter, log: Logger): GroupWriter {
  let next: Member[] = [];
  let running = false;
  let groups = 0;

  async function loop(): Promise<void> {
    running = true;
    try {
      while (next.length) {
        const group = next;
        next = [];
        await runGroup(group)
          .catch((err: Error) => {
            log.error({ err: err.message }, "mta files writer failed");
            for (const m of group) m.written.resolve({ changed: false, error: err });
          })
          .finally(() => { for (const m of group) m.done.resolve(); });
      }
    } finally {
      running = false;
    }
  }

  async function runGroup(group: Member[]): Promise<void> {
    groups++;
    let conn: Awaited<ReturnType<Database["connection"]>>;
    try {
      conn = await db.connection();
    } catch (err) {
      for (const m of group) m.written.resolve({ changed: false, error: unavailable("no database connection", err) });
      return;
    }
    let locked = false;
    try {
      try {
        // Bounded, and well inside the members' transaction timeout: a writer of
        // another process that hangs holding the lock makes this group a 503.
        await conn.query(`SET lock_timeout = '${LOCK_TIMEOUT_MS}ms'`);
        await conn.query(`SELECT pg_advisory_lock(${MAPS_LOCK_KEY})`);
      } catch (err) {
        for (const m of group) m.written.resolve({ changed: false, error: unavailable("the maps lock was not granted", err) });
        return;
      }
      locked = true;
      let wrote = false;
      try {
        const committed = await conn.query<MapRow>(ALL_ROWS_SQL);
        const deltas = group.flatMap((m) => (m.delta ? [m.delta] : []));
        const changed = await writer.write(sortRows(applyDeltas(committed, deltas)), { group: deltas.length });
        wrote = true;
        for (const m of group) m.written.resolve({ changed });
      } catch (err) {
        const error = err instanceof MailroomError ? err : unavailable("the lists could not be read", err);
        for (const m of group) m.written.resolve({ changed: false, error });
      }
      const committed = await Promise.all(group.map((m) => withTimeout(m.settled.promise, SETTLE_TIMEOUT_MS, false)));
      const rolledBack = wrote ? committed.filter((c) => !c).length : 0;
      if (rolledBack || writer.dirty) {
        log.warn({ rolledBack, partial: writer.dirty }, "mta files ahead of the committed state: rewriting them");
        // A failure here leaves the maps ahead until the next write, which reads
        // the committed state again (or the next start, which rewrites them).
        await conn.query<MapRow>(ALL_ROWS_SQL)
          .then((rows) => writer.write(sortRows(rows), { repair: true }))
          .catch((e: Error) => log.error({ err: e.message }, "mta files could not be rewritten after a failed change"));
      }
    } finally {
      if (locked) await conn.query(`SELECT pg_advisory_unlock(${MAPS_LOCK_KEY})`).catch(() => {});
      await conn.release();
    }
  }

  return {
    async submit(delta) {
      const m: Member = { delta, written: deferred(), settled: deferred(), done: deferred() };
      next.push(m);
      if (!running) void loop();
      const { changed, error } = await m.written.promise;
      let settledOnce = false;
      return {
        changed,
        error,
        settle: async (ok) => {
          if (settledOnce) return;
          settledOnce = true;
          m.settled.resolve(ok);
          // A rolled-back member answers once the maps are back to the committed state.
          if (!ok) await m.done.promise;
        },
      };
    },
    get groups() { return groups; },
  };
}

interface Deferred<T> { promise: Promise<T>; resolve(v: T): void }

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((r) => { timer = setTimeout(() => r(fallback), ms); })]).finally(() => clearTimeout(timer));
}

function unavailable(what: string, err: unknown): MailroomError {
  return new MailroomError("maps-unavailable", `The MTA files could not be updated: ${what} (${(err as Error).message})`);
}
