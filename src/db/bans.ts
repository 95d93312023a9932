// The bans that apply to a list: its own and the global ones (Ban.listId null).
// Read by services before a subscription, and by the pipeline before the chain runs
// (bansOfLists, for the posts asking at once: pipeline/list-reads.ts).
import type { Database, Tx } from "./client.js";

export async function bansFor(db: Database | Tx, listPk: number): Promise<string[]> {
  const client = "prisma" in db ? db.prisma : db;
  const rows = await client.ban.findMany({ where: { OR: [{ listId: listPk }, { listId: null }] }, select: { email: true } });
  return rows.map((r) => r.email);
}

/**
 * The bans of several lists (by listId string) at once, in order: one statement for
 * the list stage's posts that ask at the same moment (pipeline/list-reads.ts).
 */
export async function bansOfLists(db: Database, listIds: readonly string[]): Promise<string[][]> {
  const rows = await db.jobQuery<{ ord: number; email: string }>("mailroom_bans_of_lists", `
    SELECT q.ord, b.email FROM unnest($1::text[]) WITH ORDINALITY AS q (list, ord)
    JOIN "MailingList" l ON l."listId" = q.list
    JOIN "Ban" b ON b."listId" = l.id OR b."listId" IS NULL`, [listIds]);
  const out: string[][] = listIds.map(() => []);
  for (const r of rows) out[Number(r.ord) - 1]!.push(r.email);
  return out;
}
