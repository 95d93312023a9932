// Applies prisma/migrations/*/migration.sql in folder-name order and records each
// in Prisma's own `_prisma_migrations` table (same columns and SHA-256 checksum), so
// `prisma migrate status` agrees. Holds Prisma Migrate's advisory lock, so two
// processes starting at once apply each migration exactly once.
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Database } from "./client.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));
const PRISMA_MIGRATE_LOCK = 72707369;

export interface MigrationResult { applied: string[]; skipped: string[]; modified: string[] }

export class MigrationError extends Error {}

export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const s = await db.session();
  const result: MigrationResult = { applied: [], skipped: [], modified: [] };
  try {
    await s.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK]);
    await s.exec(`CREATE TABLE IF NOT EXISTS _prisma_migrations (
      id VARCHAR(36) PRIMARY KEY NOT NULL,
      checksum VARCHAR(64) NOT NULL,
      finished_at TIMESTAMPTZ,
      migration_name VARCHAR(255) NOT NULL,
      logs TEXT,
      rolled_back_at TIMESTAMPTZ,
      started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      applied_steps_count INTEGER NOT NULL DEFAULT 0)`);
    const rows = await s.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      "SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations");
    const failed = rows.find((r) => !r.finished_at && !r.rolled_back_at);
    if (failed) {
      throw new MigrationError(`migration ${failed.migration_name} failed earlier; resolve it (prisma migrate resolve) before going on`);
    }
    const done = new Map(rows.filter((r) => r.finished_at).map((r) => [r.migration_name, r.checksum]));
    const names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "migration.sql")))
      .map((d) => d.name)
      .sort();
    for (const name of names) {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      if (done.has(name)) {
        (done.get(name) === checksum ? result.skipped : result.modified).push(name);
        continue;
      }
      try {
        await s.exec("BEGIN");
        await s.exec(sql);
        await s.query(
          `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`, [randomUUID(), checksum, name]);
        await s.exec("COMMIT");
        result.applied.push(name);
      } catch (err) {
        await s.exec("ROLLBACK").catch(() => {});
        throw new MigrationError(`migration ${name} failed: ${(err as Error).message}`);
      }
    }
    return result;
  } finally {
    await s.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK]).catch(() => {});
    await s.release();
  }
}
