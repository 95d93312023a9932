import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, createEmptyServerDatabase, SERVER_URL } from "../helpers/db.js";
import { openDatabase } from "../../src/db/client.js";
import { migrate, MIGRATIONS_DIR } from "../../src/db/migrate.js";

test("migrations are applied once, recorded the way Prisma records them, and a failing one leaves nothing", async (t) => {
  const tdb = await createTestDatabase();
  t.after(() => tdb.close());
  const { db } = tdb;

  const again = await migrate(db);
  assert.deepEqual(again.applied, []);
  assert.ok(again.skipped.length >= 1);
  const rows = await db.prisma.$queryRaw<{ migration_name: string; checksum: string; finished_at: Date; applied_steps_count: number }[]>`
    SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations`;
  assert.equal(rows.length, again.skipped.length);
  for (const r of rows) {
    assert.match(r.checksum, /^[0-9a-f]{64}$/);
    assert.ok(r.finished_at);
    assert.equal(r.applied_steps_count, 1);
  }

  const dir = mkdtempSync(join(tmpdir(), "mig-"));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  mkdirSync(join(dir, "29991231000000_bad"));
  writeFileSync(join(dir, "29991231000000_bad", "migration.sql"),
    'CREATE TABLE "Leftover" (id int);\nINSERT INTO no_such_table VALUES (1);\n');
  await assert.rejects(migrate(db, dir), /migration 29991231000000_bad failed: .*no_such_table/);
  const left = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM pg_tables WHERE tablename = 'Leftover'`;
  assert.equal(Number(left[0]!.n), 0);
  const recorded = await db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM _prisma_migrations WHERE migration_name = '29991231000000_bad'`;
  assert.equal(Number(recorded[0]!.n), 0);
});

test("two processes migrating one empty PostgreSQL database at once apply each migration exactly once", { skip: !SERVER_URL && "the embedded database is single-process by design" }, async (t) => {
  const empty = await createEmptyServerDatabase();
  t.after(() => empty.drop());
  const a = await openDatabase({ url: empty.url });
  const b = await openDatabase({ url: empty.url });
  t.after(async () => { await a.close(); await b.close(); });
  const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
  const applied = [...ra.applied, ...rb.applied].sort();
  assert.ok(applied.length >= 1);
  assert.equal(new Set(applied).size, applied.length, "no migration applied twice");
  const rows = await a.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM _prisma_migrations`;
  assert.equal(Number(rows[0]!.n), applied.length);
});
