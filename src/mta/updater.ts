// The port through which the list and domain services keep the Postfix maps current.
// Implemented by maps.ts; tests hand in NO_MAPS or a failing fake.
import type { Tx } from "../db/client.js";

/**
 * Keeps the Postfix maps in step with the lists and domains. regenerate(tx) runs
 * inside the transaction that changed them, before commit: throwing a MailroomError
 * ("maps-unavailable") rolls the change back (the contract's 503). The caller runs
 * reload() after the commit when regenerate returned true, and writeNow() when the
 * transaction failed after regenerate had started (the maps must not stay ahead).
 */
export interface MapsUpdater {
  /** Writes the maps from what `tx` sees; true when any map changed. */
  regenerate(tx: Tx): Promise<boolean>;
  /** Makes Postfix read the maps now (postfix reload); never throws. */
  reload(): Promise<void>;
  /** Rewrites the maps from the committed state in a transaction of its own. */
  writeNow(): Promise<void>;
}

export const NO_MAPS: MapsUpdater = { regenerate: async () => false, reload: async () => {}, writeNow: async () => {} };
