// A fresh, migrated database for a test file: a new PostgreSQL database created from
// DATABASE_URL (dropped at the end) when it is set, else an in-memory PGlite.
// `reset()` empties every table between tests (Mailman's testing layers do the same).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";

export interface TestDatabase {
  db: Database;
  /** The URL of this test's own database (postgres only): for child processes. */
  url: string | null;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The server URL tests run against, or null for embedded PGlite. */
export const SERVER_URL = process.env.DATABASE_URL?.trim() || null;

export async function createTestDatabase(): Promise<TestDatabase> {
  let url: string | null = null;
  let dbName: string | null = null;
  if (SERVER_URL) {
    dbName = `mailroom_test_${randomBytes(6).toString("hex")}`;
    await adminQuery(`CREATE DATABASE ${dbName}`);
    const u = new URL(SERVER_URL);
    u.pathname = `/${dbName}`;
    url = u.toString();
  }
  const db = await openDatabase({ url, dataDir: null });
  await migrate(db);
  const tables = (await db.prisma.$queryRaw<{ tablename: string }[]>`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`)
    .map((t) => `"${t.tablename}"`);
  return {
    db,
    url,
    async reset() {
      await db.prisma.$executeRawUnsafe(`TRUNCATE ${tables.join(", ")} RESTART IDENTITY CASCADE`);
    },
    async close() {
      await db.close();
      if (dbName) await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    },
  };
}

/**
 * DATABASE_URL for a child `mailroom` process that migrates itself: an empty server
 * database dropped when the test ends, or undefined (the child's embedded database).
 */
export async function childDatabaseUrl(t: { after(fn: () => unknown): void }): Promise<string | undefined> {
  const child = await emptyChildDatabase();
  t.after(() => child.drop());
  return child.url;
}

/** The same for a test file's before/after hooks: the URL (undefined: embedded) and how to drop it. */
export async function emptyChildDatabase(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  if (!SERVER_URL) return { url: undefined, drop: async () => {} };
  return createEmptyServerDatabase();
}

/** Creates an empty database on the server (for child-process tests that migrate themselves). */
export async function createEmptyServerDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!SERVER_URL) throw new Error("needs DATABASE_URL");
  const dbName = `mailroom_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${dbName}`);
  const u = new URL(SERVER_URL);
  u.pathname = `/${dbName}`;
  return { url: u.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`) };
}

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: SERVER_URL! });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
}
