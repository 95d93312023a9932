// The PostgreSQL SQLSTATE behind a failed Prisma query, as the driver adapter
// reports it (P2010 raw-query failures and the like). Used by
// services/database-failure.ts, which turns it into what the failure means.

export function sqlStateOf(err: unknown): string | undefined {
  const meta = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)?.meta;
  const code = meta?.driverAdapterError?.cause?.originalCode;
  return typeof code === "string" ? code : undefined;
}
