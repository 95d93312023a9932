// The list stage's reads for a post: its list's row, the list's members among the
// post's senders and addressees, the list's bans, and the header and footer an
// accepted copy gets. Posts that ask at the same moment (the posts of one claim start
// together) share them: one statement for the list rows, one for the members of every
// lookup and one for the bans, in parallel; the header and footer are read once per
// list of the batch, and each post waits only for its own list's (a template fetched
// from a slow URL must not hold up other lists' posts, nor the next batch). These
// were four round trips per post (docs/throughput.md). Nothing is
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

/** What the batch answers: the decoration is still on its way (its list's own read). */
type BatchReads = Omit<ListReads, "decoration"> & { decoration: Promise<ListReads["decoration"]> };

export function createListReads(db: Database, templates: () => TemplateLoader): ReadForPost {
  const run = groupCommit<{ listId: string; keys: readonly string[] }, BatchReads | null>({
    take: (waiting) => Math.min(waiting.length, MAX_BATCH),
    runBatch: (asks) => readAll(db, templates(), asks),
    runOne: async (ask) => (await readAll(db, templates(), [ask]))[0]!,
    // The posts of one claim ask in the same turn: one batch, not the first alone.
    endOfIo: true,
  });
  return async (listId, keys) => {
    const r = await run({ listId, keys });
    return r && { ...r, decoration: await r.decoration };
  };
}

async function readAll(db: Database, templates: TemplateLoader, asks: readonly { listId: string; keys: readonly string[] }[]): Promise<(BatchReads | null)[]> {
  const ids = [...new Set(asks.map((a) => a.listId))];
  const [lists, members, bans] = await Promise.all([
    db.prisma.mailingList.findMany({ where: { listId: { in: ids } } }),
    membersOfLookups(db, asks),
    bansOfLists(db, ids),
  ]);
  const byId = new Map(lists.map((l) => [l.listId, l]));
  const bansById = new Map(ids.map((id, i) => [id, bans[i]!]));
  const decorations = new Map(lists.map((l) => {
    const d = templates.decoration(db.prisma, l);
    // Its posts await it after the batch is answered; a failure before then is theirs
    // to see (the post is retried), not an unhandled rejection of the process.
    d.catch(() => {});
    return [l.listId, d] as const;
  }));
  return asks.map((a, i) => {
    const list = byId.get(a.listId);
    return list ? { list, rows: members[i]!, bans: bansById.get(a.listId)!, decoration: decorations.get(a.listId)! } : null;
  });
}
