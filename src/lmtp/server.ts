// STUB (issue 3 replaces this): the LMTP listener.
import type { Config } from "../config/index.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import type { Services } from "../services/index.js";

export interface LmtpDeps { db: Database; services: Services; config: Config; log: Logger }
export interface LmtpServer { listen(host: string, port: number): Promise<number>; close(): Promise<void> }

export function createLmtpServer(_deps: LmtpDeps): LmtpServer {
  return { listen: async (_h, port) => port, close: async () => {} };
}
