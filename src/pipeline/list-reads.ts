// The list stage's reads for a post: its list's row, the list's members among the
// post's senders and addressees, the list's bans, and the header and footer an
// accepted copy gets. Posts that ask at the same moment (the posts of one claim start
// together) share them: one statement for the list rows, one for the members of every
// lookup and one for the bans, in parallel, then one read of the header and footer
// per list. These were four round trips per post (docs/throughput.md). Nothing is
// cached: a read always starts after the post asked for it (domain/group-commit.ts),
// so a post sees every settings change committed before it was claimed, as before.
// Used by list-queue.ts.
import type { Database } from "../db/client.js";
import type { MailingList } from "../generated/prisma/client.js";
import { bansOfLists } from "../db/bans.js";
import { membersOfLookups, type ResolvedMember } from "../db/member-lookup.js";
import { groupCommit } from "../domain/group-commit.js";
import type { TemplateLoader } from "../services/template-loader.js";

export interface ListReads {
  list: MailingList;
  /** The list's rows (any role) for the keys asked, by id. */
  rows: ResolvedMember[];
  bans: string[];
  decoration: { header: string; footer: string };
}

export type ReadForPost = (listId: string, keys: readonly string[]) => Promise<ListReads | null>;

/** Posts whose reads share the statements (a claim brings up to 16). */
const MAX_BATCH = 64;

export function createListReads(db: Database, templates: () => TemplateLoader): ReadForPost {
  const run = groupCommit<{ listId: string; keys: readonly string[] }, ListReads | null>({
    take: (waiting) => Math.min(waiting.length, MAX_BATCH),
    runBatch: (asks) => readAll(db, templates(), asks),
    runOne: async (ask) => (await readAll(db, templates(), [ask]))[0]!,
    // The posts of one claim ask in the same turn: one batch, not the first alone.
    endOfIo: true,
  });
  return (listId, keys) => run({ listId, keys });
}

async function readAll(db: Database, templates: TemplateLoader, asks: readonly { listId: string; keys: readonly string[] }[]): Promise<(ListReads | null)[]> {
  const ids = [...new Set(asks.map((a) => a.listId))];
  const [lists, members, bans] = await Promise.all([
    db.prisma.mailingList.findMany({ where: { listId: { in: ids } } }),
    membersOfLookups(db, asks),
    bansOfLists(db, ids),
  ]);
  const byId = new Map(lists.map((l) => [l.listId, l]));
  const bansById = new Map(ids.map((id, i) => [id, bans[i]!]));
  const decorations = new Map(await Promise.all(lists.map(async (l) => [l.listId, await templates.decoration(db.prisma, l)] as const)));
  return asks.map((a, i) => {
    const list = byId.get(a.listId);
    return list ? { list, rows: members[i]!, bans: bansById.get(a.listId)!, decoration: decorations.get(a.listId)! } : null;
  });
}
