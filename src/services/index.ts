// STUB (issue 2 replaces this): the use-cases shared by the REST API, LMTP and the CLI.
import type { Config } from "../config/index.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import type { MapsUpdater } from "./ports.js";

export interface ServiceDeps { db: Database; config: Config; log: Logger; maps: MapsUpdater }
export type Services = ReturnType<typeof createServices>;

export function createServices(deps: ServiceDeps) {
  return { deps };
}
