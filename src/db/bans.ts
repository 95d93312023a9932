// The bans that apply to a list: its own and the global ones (Ban.listId null).
// Read by the pipeline before the chain runs and by services before a subscription.
import type { Database, Tx } from "./client.js";

export async function bansFor(db: Database | Tx, listPk: number): Promise<string[]> {
  const client = "prisma" in db ? db.prisma : db;
  const rows = await client.ban.findMany({ where: { OR: [{ listId: listPk }, { listId: null }] }, select: { email: true } });
  return rows.map((r) => r.email);
}
