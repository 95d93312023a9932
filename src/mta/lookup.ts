// Live answers to Postfix's table lookups, straight from the database: is this
// address a list address (posting address or sub-address, optionally +extension,
// at the list's mail host or its aliasDomain), is this a list domain, and what
// does x@mailHost rewrite to for an aliased domain. Used by socketmap.ts.
import type { Database } from "../db/client.js";
import { recipientCandidates } from "../domain/list-address.js";
import { createListFinder } from "../db/list-lookup.js";

export interface ListLookup {
  /** The list whose address this is, with the domain the address used; null if none. */
  listAddress(address: string): Promise<{ listName: string; mailHost: string; aliasDomain: string | null; viaAlias: boolean } | null>;
  /** A domain that has lists, as its mail host or its aliasDomain. */
  isListDomain(domain: string): Promise<boolean>;
}

export function createListLookup(db: Database): ListLookup {
  // On the hot-path connections, batched with other lookups: Postfix's queries
  // are never held up by REST transactions filling the main pool.
  const finder = createListFinder(db);
  return {
    async listAddress(address) {
      const candidates = recipientCandidates(address);
      if (!candidates.length) return null;
      const host = candidates[0]!.mailHost;
      const names = candidates.map((c) => c.listName);
      const rows = await finder.listsAtHost(names, host);
      // Posting address first: a list named "a-request" wins over list "a"'s -request.
      for (const c of candidates) {
        const row = rows.find((r) => r.listName === c.listName);
        if (row) return { listName: row.listName, mailHost: row.mailHost, aliasDomain: row.aliasDomain, viaAlias: row.mailHost !== host };
      }
      return null;
    },
    async isListDomain(domain) {
      const d = domain.toLowerCase();
      // Prisma (main pool, a plan per call): with many lists on few hosts a generic
      // plan would scan every list for a domain that has none. Map-changing
      // transactions leave main-pool connections free (services/transaction.ts).
      const rows = await db.prisma.$queryRawUnsafe<{ n: number }[]>(
        // Two EXISTS, each an index probe ((mailHost, id) on MailingList), rather than an
        // OR across a join that scans every list on each Postfix lookup.
        `SELECT 1 AS n WHERE EXISTS (SELECT 1 FROM "MailingList" WHERE "mailHost" = $1)
            OR EXISTS (SELECT 1 FROM "Domain" d WHERE d."aliasDomain" = $1
                         AND EXISTS (SELECT 1 FROM "MailingList" l WHERE l."mailHost" = d."mailHost"))`,
        d,
      );
      return rows.length > 0;
    },
  };
}

