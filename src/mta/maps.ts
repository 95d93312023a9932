// STUB (issue 5 replaces this): Postfix map generation.
import type { Config } from "../config/index.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import type { MapsUpdater } from "../services/ports.js";

export interface MapsDeps { db: Database; config: Config; log: Logger }
export interface Maps extends MapsUpdater { writeNow(): Promise<void> }

export function createMaps(_deps: MapsDeps): Maps {
  return { regenerate: async () => {}, writeNow: async () => {} };
}
