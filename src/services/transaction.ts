// The transaction wrapper every service uses for a change, plus the "maps are part
// of the change" step (CONTRACT: Postfix maps are rewritten before the REST call
// returns, and a failure there rolls the change back).
import type { Database, Tx } from "../db/client.js";
import type { Logger } from "../log.js";
import type { MapsUpdater } from "../mta/updater.js";

// Embedded PGlite runs transactions one at a time, so a caller may wait for others
// (maxWait) and a 10,000-member bulk add may take a while (timeout).
const TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 };

export function inTransaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.prisma.$transaction(fn, TX_OPTIONS);
}

/** Rewrites the Postfix maps from what the transaction sees (call it after the change). */
export type RegenerateMaps = () => Promise<void>;

/**
 * inTransaction for a change that may move the Postfix maps: `fn` calls
 * regenerateMaps() after its change. The maps' own failures are MailroomError
 * "maps-unavailable" (503) and roll the change back; any other error propagates
 * as it is. After the commit Postfix is reloaded (outside the transaction, before
 * the caller answers); when the transaction fails after the maps were touched
 * they are rewritten from the committed state, so they never stay ahead of it.
 */
export async function inMapsTransaction<T>(
  { db, maps, log }: { db: Database; maps: MapsUpdater; log: Logger },
  fn: (tx: Tx, regenerateMaps: RegenerateMaps) => Promise<T>,
): Promise<T> {
  let touched = false;
  let changed = false;
  let result: T;
  try {
    result = await inTransaction(db, (tx) => fn(tx, async () => {
      touched = true;
      changed = (await maps.regenerate(tx)) || changed;
    }));
  } catch (err) {
    if (touched) {
      await maps.writeNow().catch((e: Error) => log.error({ err: e.message }, "postfix maps could not be rewritten after a failed change"));
    }
    throw err;
  }
  if (changed) await maps.reload();
  return result;
}
