// The PostgreSQL SQLSTATE behind a failed Prisma query, as the driver adapter
// reports it (P2010 raw-query failures and the like). Used by api/problem.ts and
// the services that turn a particular state into a domain error.

export function sqlStateOf(err: unknown): string | undefined {
  const meta = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)?.meta;
  const code = meta?.driverAdapterError?.cause?.originalCode;
  return typeof code === "string" ? code : undefined;
}
