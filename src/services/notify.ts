// Cross-process cache invalidation for list lookups. Services send it inside the
// transaction that changed a list or domain (PostgreSQL delivers NOTIFY at commit);
// the list service (lists.ts) listens and empties its cache of list objects
// (list-cache.ts). LMTP RCPT decisions are not cached (recipients.ts). Used by
// lists.ts and domains.ts.
import type { Tx } from "../db/client.js";

/** NOTIFY channel; the payload is a list id, or "*" for "anything may have changed". */
export const LISTS_CHANNEL = "mailroom_lists";

export async function notifyListsChanged(tx: Tx, listId: string | "*"): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${LISTS_CHANNEL}, ${listId})`;
}
