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
