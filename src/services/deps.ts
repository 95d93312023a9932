// What every service is built from; main.ts (and tests) hand it to createServices.
import type { Config } from "../config/index.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import type { MapsUpdater } from "../mta/updater.js";

export interface ServiceDeps {
  db: Database;
  config: Config;
  log: Logger;
  maps: MapsUpdater;
}
