// STUB (issue 4 replaces this): wires the queue handlers (pipeline, delivery, …) to
// the queue runner. Like main.ts, this is wiring and may import any part.
import type { Config } from "./config/index.js";
import type { Database } from "./db/client.js";
import type { Logger } from "./log.js";
import type { Services } from "./services/index.js";

export interface WorkerDeps { db: Database; services: Services; config: Config; log: Logger }
export interface Workers { stop(): Promise<void> }

export function startWorkers(_deps: WorkerDeps): Workers {
  return { stop: async () => {} };
}
