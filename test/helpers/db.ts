// A fresh, migrated database for a test file: a new PostgreSQL database (dropped at
// the end) on DATABASE_URL's server when it is set, else on this test process's own
// embedded cluster (test-cluster.ts). `reset()` empties every table between tests
// (Mailman's testing layers do the same).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { startTestCluster } from "./test-cluster.js";

export interface TestDatabase {
  db: Database;
  /** The URL of this test's own database: for child processes. */
  url: string;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The server URL tests run against (DATABASE_URL), or null: the embedded database
 * (child `mailroom serve` processes then start their own in their var dir).
 */
export const SERVER_URL = process.env.DATABASE_URL?.trim() || null;

let clusterUrl: Promise<string> | null = null;
/** Where this process's test databases are created: DATABASE_URL, else its own cluster (started on first use). */
export function adminUrl(): Promise<string> {
  if (SERVER_URL) return Promise.resolve(SERVER_URL);
  return (clusterUrl ??= startTestCluster());
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const { url, drop } = await createEmptyServerDatabase();
  const db = await openDatabase({ url });
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
      await drop();
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

/**
 * Creates an empty database on DATABASE_URL's server, or on this process's own
 * cluster (for tests that migrate it themselves or hand it to a child process).
 */
export async function createEmptyServerDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = await adminUrl();
  const dbName = `mailroom_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(admin, `CREATE DATABASE ${dbName}`);
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return { url: u.toString(), drop: () => adminQuery(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`) };
}

async function adminQuery(admin: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
}
