// The transaction wrapper every service uses for a change, plus the "maps are part
// of the change" step (CONTRACT: Postfix maps are rewritten before the REST call
// returns, and a failure there rolls the change back).
import type { Database, Tx } from "../db/client.js";
import type { Logger } from "../log.js";
import type { MapsChange, MapsUpdater, MapsWrite } from "../mta/updater.js";
import { semaphorePer } from "../domain/semaphore.js";

// A caller may wait for a pool connection behind others (maxWait), and a
// 10,000-member bulk add may take a while (timeout).
const TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 };

export function inTransaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.prisma.$transaction(fn, TX_OPTIONS);
}

/** Hands the maps writer what the transaction changed (call it after the change, once). */
export type RegenerateMaps = (change: MapsChange) => Promise<void>;

/**
 * inTransaction for a change that may move the Postfix maps: `fn` calls
 * regenerateMaps(change) after its change, and returns when the maps on disk include
 * it. The maps' own failures are MailroomError "maps-unavailable" (503) and roll
 * the change back; any other error propagates as it is. The maps writer is told
 * when the transaction ended (it keeps other writers out until then, and rewrites
 * the maps after a failed commit); after a commit Postfix is reloaded, outside the
 * transaction, before the caller answers. At most poolSize - 4 such transactions
 * are open at once in a process; the others wait for a slot before they begin.
 */
export async function inMapsTransaction<T>(
  { db, maps }: { db: Database; maps: MapsUpdater; log?: Logger },
  fn: (tx: Tx, regenerateMaps: RegenerateMaps) => Promise<T>,
): Promise<T> {
  let write: MapsWrite | null = null;
  let result: T;
  const release = await mapsSlots(db).acquire();
  try {
    try {
      result = await inTransaction(db, (tx) => fn(tx, async (change) => {
        if (write) throw new Error("regenerateMaps called twice in one transaction");
        const w = await maps.regenerate(tx, change);
        write = w;
        if (w.error) throw w.error;
      }));
    } catch (err) {
      await (write as MapsWrite | null)?.settle(false);
      throw err;
    }
    await (write as MapsWrite | null)?.settle(true);
  } finally {
    release(); // the reload below holds no database connection
  }
  if ((write as MapsWrite | null)?.changed) await maps.reload();
  return result;
}

/**
 * Main-pool connections left to everything else while map-changing transactions
 * wait for a map write (a group write takes 0.1 s with 10,000 lists, about 1 s with
 * 100,000): REST reads, the delivery workers and the socketmap's domain check.
 */
const POOL_LEFT_FREE = 4;

const mapsSlots = semaphorePer<Database>((db) => Math.max(1, db.poolSize - POOL_LEFT_FREE));

/**
 * Locks a domain row FOR SHARE, by mail host or id, before a list of it is created or
 * deleted: an alias change or delete of the domain then waits for this transaction
 * (and it for them), so the lists of a domain are changed by one map write at a time.
 * Taken before the list row, always in that order (domain, then list): no deadlock.
 */
export async function lockDomain(tx: Tx, where: { mailHost: string } | { id: number }): Promise<{ id: number } | null> {
  const [row] = "id" in where
    ? await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Domain" WHERE id = ${where.id} FOR SHARE`
    : await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Domain" WHERE "mailHost" = ${where.mailHost} FOR SHARE`;
  return row ?? null;
}
