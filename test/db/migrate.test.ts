import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, cpSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, createEmptyServerDatabase } from "../helpers/db.js";
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

test("two processes migrating one empty PostgreSQL database at once apply each migration exactly once", async (t) => {
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

test("the templates migration moves a stored preferred_language to the column only when it is a language code", async (t) => {
  const empty = await createEmptyServerDatabase();
  t.after(() => empty.drop());
  const db = await openDatabase({ url: empty.url });
  t.after(() => db.close());
  // Every migration before it, then a list per stored value, then the rest.
  const dir = mkdtempSync(join(tmpdir(), "mig-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  const later = readdirSync(dir).filter((n) => n >= "20261203183000_templates" && /^\d{14}_/.test(n));
  const held = mkdtempSync(join(tmpdir(), "mig-held-"));
  t.after(() => rmSync(held, { recursive: true, force: true }));
  for (const n of later) cpSync(join(dir, n), join(held, n), { recursive: true });
  for (const n of later) rmSync(join(dir, n), { recursive: true });
  await migrate(db, dir);
  await db.prisma.$executeRawUnsafe(`INSERT INTO "Domain" ("mailHost") VALUES ('example.com')`);
  const stored: [string, unknown][] = [["de", "de"], ["pt", "pt_BR"], ["bad", "x'); DROP TABLE x; --"], ["dots", "../../etc"], ["num", 7], ["long", "en-" + "a".repeat(30)]];
  for (const [name, value] of stored) {
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "MailingList" ("listName", "mailHost", "listId", "domainId", "displayName", "subjectPrefix", "mailmanSettings")
       SELECT $1, 'example.com', $1 || '.example.com', id, $1, '', jsonb_build_object('preferred_language', $2::jsonb, 'other', 1) FROM "Domain"`,
      name, JSON.stringify(value));
  }
  for (const n of later) cpSync(join(held, n), join(dir, n), { recursive: true });
  await migrate(db, dir);
  const rows = await db.prisma.$queryRaw<{ listName: string; preferredLanguage: string; settings: Record<string, unknown> }[]>`
    SELECT "listName", "preferredLanguage", "mailmanSettings" AS settings FROM "MailingList" ORDER BY "listName"`;
  assert.deepEqual(rows.map((r) => [r.listName, r.preferredLanguage]),
    [["bad", "en"], ["de", "de"], ["dots", "en"], ["long", "en"], ["num", "en"], ["pt", "pt_BR"]]);
  for (const r of rows) assert.deepEqual(r.settings, { other: 1 }, `${r.listName}: the old key is gone either way`);
});
