// The port through which the list and domain services keep the Postfix maps current.
// Implemented by maps.ts; tests hand in NO_MAPS or a failing fake.
import type { Tx } from "../db/client.js";

/**
 * What a transaction changed in the maps' inputs. The maps writer reads those rows
 * as the transaction sees them, so the caller must hold them until it ends: the
 * list row it created or deleted (and its domain, locked FOR SHARE before the list
 * row: lockDomain in services/transaction.ts), or the domain row it updated or deleted.
 */
export interface MapsChange {
  /** List ids created or deleted. */
  lists?: string[];
  /** Domains all of whose lists moved or went (alias domain changed, domain deleted). */
  domains?: number[];
}

/** A transaction's part in a map write, handed back once the maps on disk include it. */
export interface MapsWrite {
  /** True when any map changed. */
  changed: boolean;
  /**
   * Set when the maps could not be written (MailroomError "maps-unavailable", or the
   * writer's database error): the caller throws it, so the change rolls back, and still settles.
   */
  error?: Error;
  /**
   * Must be called once the transaction ended. The maps stay locked for other writers
   * until every transaction of the write has settled; after a failed commit this
   * resolves once the maps were rewritten from the committed state.
   */
  settle(committed: boolean): Promise<void>;
}

/**
 * Keeps the Postfix maps in step with the lists and domains. regenerate(tx, change)
 * runs inside the transaction that changed them, before commit; a write.error
 * thrown there rolls the change back (the contract's 503). The caller then settles
 * the write, and runs reload() after a commit that changed the maps.
 */
export interface MapsUpdater {
  /** Writes the maps including what `tx` changed; resolves once they are on disk. */
  regenerate(tx: Tx, change: MapsChange): Promise<MapsWrite>;
  /** Makes Postfix read the maps now (postfix reload); never throws. */
  reload(): Promise<void>;
  /** Rewrites the maps from the committed state. */
  writeNow(): Promise<void>;
}

const SETTLED: MapsWrite = { changed: false, settle: async () => {} };

export const NO_MAPS: MapsUpdater = { regenerate: async () => SETTLED, reload: async () => {}, writeNow: async () => {} };
