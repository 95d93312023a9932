// Decides an LMTP RCPT: which list, which sub-address, which queue. Called by the
// LMTP server for every RCPT TO. Answers come from a cache kept correct two ways:
// a change committed by this process drops what it names synchronously (the list
// service's onChanged, before the REST call answers); a change committed by another
// process on the same database arrives as NOTIFY "mailroom_lists" (list id or "*"),
// a few milliseconds after its commit (docs/lmtp.md). A recipient the cache does not
// know is always looked up.
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import {
  recipientCandidates, queueFor, type QueueForRecipient, type RecipientParts, type Subaddress,
} from "../domain/list-address.js";
import { LISTS_CHANNEL } from "./notify.js";
import { listsAtHost } from "../db/list-lookup.js";

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
  /** Starts listening for list changes; call before serving. */
  start(): Promise<void>;
  /** The decision for one RCPT address, or null when no list takes it. Throws when the database fails. */
  resolve(address: string): Promise<RecipientDecision | null>;
  stop(): Promise<void>;
}

interface ListRef { listId: string; listName: string; mailHost: string }
/** A cached "no list by this name" (kept only to choose between candidate readings). */
const NONE = null;
/** Cache entries beyond this drop the whole cache (100,000 lists × 2 keys fit). */
const MAX_ENTRIES = 500_000;

/** Subscribes to this process's committed list changes; returns the unsubscribe. */
export type OnListsChanged = (cb: (listId: string) => void) => () => void;

export function createRecipientResolver(db: Database, log: Logger, onListsChanged?: OnListsChanged): RecipientResolver {
  // key "listname@host" (lower case, host as received: a list's own host or an alias domain)
  const cache = new Map<string, ListRef | typeof NONE>();
  // Bumped on every invalidation, so a lookup that raced with one does not cache stale rows.
  let generation = 0;
  let unlisten: (() => Promise<void>) | null = null;
  let unsubscribe: (() => void) | null = null;

  function invalidate(payload: string) {
    generation++;
    if (payload === "*" || payload === "") { cache.clear(); return; }
    // A change to one list may also change what a neighbouring name means
    // ("a-request" created next to "a"), so negative entries go as well.
    for (const [key, ref] of cache) if (ref === NONE || ref.listId === payload) cache.delete(key);
  }

  async function lookup(parts: RecipientParts[]): Promise<Map<string, ListRef | typeof NONE>> {
    const host = parts[0]!.mailHost;
    const names = parts.map((p) => p.listName);
    const gen = generation;
    const rows = await listsAtHost(db, names, host);
    const found = new Map(names.map((name) => [`${name}@${host}`, rows.find((r) => r.listName === name) ?? NONE]));
    if (gen === generation) {
      if (cache.size > MAX_ENTRIES) cache.clear();
      for (const [key, ref] of found) cache.set(key, ref);
    }
    return found;
  }

  /** The first candidate reading that names a list; undefined when `known` cannot decide. */
  function pick(parts: RecipientParts[], known: Map<string, ListRef | typeof NONE>) {
    for (const part of parts) {
      const ref = known.get(`${part.listName}@${part.mailHost}`);
      if (ref === undefined) return undefined;
      if (ref !== NONE) return { part, ref };
    }
    return null;
  }

  return {
    async start() {
      unsubscribe = onListsChanged?.(invalidate) ?? null;
      unlisten = await db.listen(LISTS_CHANNEL, invalidate);
    },
    async resolve(address) {
      const parts = recipientCandidates(address);
      if (parts.length === 0) return null;
      let hit = pick(parts, cache);
      // A miss is never answered from the cache alone: a list created a moment ago
      // on another process must be found even if its NOTIFY is still on the way.
      if (!hit) {
        hit = pick(parts, await lookup(parts));
        if (!hit) {
          log.debug({ address }, "no list for recipient");
          return null;
        }
      }
      const { part, ref } = hit;
      return {
        listId: ref.listId,
        listAddress: `${ref.listName}@${ref.mailHost}`,
        subaddress: part.subaddress,
        extension: part.extension,
        queue: queueFor(part.subaddress),
      };
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      const un = unlisten;
      unlisten = null;
      // A database that is already gone has nothing left to unlisten from.
      await un?.().catch((err: Error) => log.debug({ err: err.message }, "UNLISTEN failed"));
    },
  };
}
