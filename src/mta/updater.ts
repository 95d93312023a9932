// The port through which the list and domain services keep the Postfix maps current.
// Implemented by maps.ts; tests hand in NO_MAPS or a failing fake.
import type { Tx } from "../db/client.js";

/**
 * Keeps the Postfix maps in step with the lists and domains. Called inside the
 * transaction that changed them, before commit: throwing a MailroomError
 * ("maps-unavailable") rolls the change back (the contract's 503).
 */
export interface MapsUpdater {
  regenerate(tx: Tx): Promise<void>;
}

export const NO_MAPS: MapsUpdater = { regenerate: async () => {} };
