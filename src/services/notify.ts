// Cross-process cache invalidation for list lookups. Services send it inside the
// transaction that changed a list or domain (PostgreSQL delivers NOTIFY at commit);
// the LMTP server listens and drops cached RCPT decisions.
import type { Tx } from "../db/client.js";

/** NOTIFY channel; the payload is a list id, or "*" for "anything may have changed". */
export const LISTS_CHANNEL = "mailroom_lists";

export async function notifyListsChanged(tx: Tx, listId: string | "*"): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${LISTS_CHANNEL}, ${listId})`;
}
