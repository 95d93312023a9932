// Runs a statement composed with Prisma.sql as a prepared statement on the job queue's
// connections (db.jobQuery), named after its text: PostgreSQL plans it once per
// connection instead of at every execution (Prisma's statements are unnamed). The
// list stage's batch finish was planned for ~12 ms per statement, three times its
// execution (pg_stat_statements, docs/throughput.md).
// Each distinct text is kept prepared, with its plan, on every job connection: callers
// write statements whose text depends only on a small bounded shape (a batch's size),
// with every value a parameter. Rows come back as pg gives them (int8 as text).
import { createHash } from "node:crypto";
import type { Database } from "../db/client.js";
import type { Prisma } from "../generated/prisma/client.js";

const names = new Map<string, string>();

export function runPrepared<R = Record<string, unknown>>(db: Database, sql: Prisma.Sql): Promise<R[]> {
  const text = sql.text;
  let name = names.get(text);
  if (!name) {
    name = `mailroom_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    // Bounded like the prepared statements themselves; the map only saves the hash.
    if (names.size < 1000) names.set(text, name);
  }
  return db.jobQuery<R>(name, text, sql.values);
}
