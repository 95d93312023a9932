// The bans that apply to a list: its own and the global ones (Ban.listId null).
// Read by the pipeline before the chain runs and by services before a subscription.
import type { Database, Tx } from "./client.js";

export async function bansFor(db: Database | Tx, listPk: number): Promise<string[]> {
  // Outside a transaction (the list stage, for every post): a prepared statement on
  // the workers' connections (db.jobQuery), planned once per connection.
  const rows = "prisma" in db
    ? await db.jobQuery<{ email: string }>("mailroom_bans_for", `SELECT email FROM "Ban" WHERE "listId" = $1::int OR "listId" IS NULL`, [listPk])
    : await db.ban.findMany({ where: { OR: [{ listId: listPk }, { listId: null }] }, select: { email: true } });
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
