// STUB (issue 5 replaces this): Postfix socketmap server.
import type { Config } from "../config/index.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";

export interface SocketmapDeps { db: Database; config: Config; log: Logger }
export interface Socketmap { address: string; close(): Promise<void> }

export async function startSocketmap(_deps: SocketmapDeps): Promise<Socketmap> {
  return { address: "", close: async () => {} };
}
