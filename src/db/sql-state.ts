// The PostgreSQL SQLSTATE behind a failed Prisma query, as the driver adapter
// reports it (P2010 raw-query failures, P2039 and the like), also when the error
// is wrapped (Error.cause), or behind a statement sent past Prisma (the driver's
// own DatabaseError: Database.query and statement). Used by services/database-failure.ts,
// which turns it into what the failure means, and by the services that turn a
// particular state into a domain error.
import pg from "pg";

/** How many `cause` links are followed: enough for any wrapping, and no loop can hang. */
const MAX_CAUSES = 8;

export function sqlStateOf(err: unknown): string | undefined {
  let e = err;
  for (let i = 0; i < MAX_CAUSES && e && typeof e === "object"; i++) {
    const meta = (e as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } }).meta;
    const code = meta?.driverAdapterError?.cause?.originalCode;
    if (typeof code === "string") return code;
    if (e instanceof pg.DatabaseError && typeof e.code === "string") return e.code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
