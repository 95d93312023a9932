// Config for Prisma 6.19 (this folder's own copy): a plain object, because
// `defineConfig` would import the app's Prisma 7 `prisma/config`.
// Each connection is a fresh in-memory PGlite, so nothing outside is touched.
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";

// PGlite refuses multi-statement text as a prepared statement; scripts (the
// replayed migrations) must go through exec(), and must be awaited.
async function scriptCapable(db: PGlite) {
  const adapter: any = await new PrismaPGlite(db).connect();
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (q: { sql: string; args: unknown[] }) => {
    if (q.args.length === 0) { await db.exec(q.sql); return 0; }
    return executeRaw(q);
  };
  adapter.executeScript = async (script: string) => { await db.exec(script); };
  return adapter;
}

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: process.env.MIGRATE_TMP_SCHEMA,
  migrations: { path: "../../prisma/migrations" },
  adapter: async () => ({
    provider: "postgres",
    adapterName: "pglite-memory",
    connect: () => scriptCapable(new PGlite()),
    connectToShadowDb: () => scriptCapable(new PGlite()),
  }),
};
