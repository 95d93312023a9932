// The transaction wrapper every service uses for a change, plus the "maps are part
// of the change" step (CONTRACT: Postfix maps are rewritten before the REST call
// returns, and a failure there rolls the change back).
import type { Database, Tx } from "../db/client.js";
import { MailroomError } from "../domain/errors.js";
import type { MapsUpdater } from "../mta/updater.js";

// Embedded PGlite runs transactions one at a time, so a caller may wait for others
// (maxWait) and a 10,000-member bulk add may take a while (timeout).
const TX_OPTIONS = { maxWait: 30_000, timeout: 120_000 };

export function inTransaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.prisma.$transaction(fn, TX_OPTIONS);
}

/** Regenerates the maps inside `tx`; any failure becomes "maps-unavailable" (503) and aborts the change. */
export async function regenerateMaps(maps: MapsUpdater, tx: Tx): Promise<void> {
  try {
    await maps.regenerate(tx);
  } catch (err) {
    if (err instanceof MailroomError) throw err;
    throw new MailroomError("maps-unavailable", `Postfix maps could not be written: ${(err as Error).message}`);
  }
}
