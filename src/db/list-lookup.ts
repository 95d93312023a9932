// The one recipient → list query, shared by the LMTP RCPT resolver
// (services/recipients.ts) and the Postfix socketmap (mta/lookup.ts): the lists
// named one of `names` that answer at `host`, i.e. whose mail host is `host` or
// whose domain's alias domain is (Postfix's virtual map rewrites list@mailHost to
// list@aliasDomain before LMTP). Host and alias domains are stored lower case.
import type { Database } from "./client.js";

export interface ListAtHost {
  listId: string;
  listName: string;
  mailHost: string;
  aliasDomain: string | null;
}

export function listsAtHost(db: Database, names: string[], host: string): Promise<ListAtHost[]> {
  return db.prisma.$queryRaw<ListAtHost[]>`
    SELECT l."listId", l."listName", l."mailHost", d."aliasDomain"
      FROM "MailingList" l JOIN "Domain" d ON d.id = l."domainId"
     WHERE l."listName" = ANY(${names}::text[]) AND (l."mailHost" = ${host} OR d."aliasDomain" = ${host})`;
}
