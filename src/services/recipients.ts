// Decides an LMTP RCPT: which list, which sub-address, which queue. Called by the
// LMTP server for every RCPT TO. Every decision is an indexed query against the
// database sent after the RCPT arrived, as Mailman looks its lists up per
// transaction: a list created or deleted through any process sharing the database
// is in force at the very next RCPT, with no NOTIFY to wait for. (A positive cache
// emptied by NOTIFY was tried and dropped: between processes it left a window of a
// few milliseconds in which a deleted list was still accepted.) Concurrent
// sessions' lookups share queries (db/list-lookup.ts).
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import { recipientCandidates, queueFor, type QueueForRecipient, type Subaddress } from "../domain/list-address.js";
import { createListFinder } from "../db/list-lookup.js";

export interface RecipientDecision {
  /** RFC 2919 list id, e.g. mylist.example.com. */
  listId: string;
  /** The list's posting address (lower case). */
  listAddress: string;
  subaddress: Subaddress | null;
  /** Text after "+" (VERP data, confirmation token, tag), case kept. */
  extension: string | null;
  queue: QueueForRecipient;
}

export interface RecipientResolver {
  /** The decision for one RCPT address, or null when no list takes it. Throws when the database fails. */
  resolve(address: string): Promise<RecipientDecision | null>;
}

export function createRecipientResolver(db: Database, log: Logger): RecipientResolver {
  const lookup = createListFinder(db);
  return {
    async resolve(address) {
      const parts = recipientCandidates(address);
      if (parts.length === 0) return null;
      const rows = await lookup.listsAtHost(parts.map((p) => p.listName), parts[0]!.mailHost);
      // Posting address first: a list named "a-request" wins over list "a"'s -request.
      for (const part of parts) {
        const ref = rows.find((r) => r.listName === part.listName);
        if (!ref) continue;
        return {
          listId: ref.listId,
          listAddress: `${ref.listName}@${ref.mailHost}`,
          subaddress: part.subaddress,
          extension: part.extension,
          queue: queueFor(part.subaddress),
        };
      }
      log.debug({ address }, "no list for recipient");
      return null;
    },
  };
}
