// The users-and-addresses migration turns members of the first schema into Address,
// User and Member rows with nothing lost: spelling, display name, roles and every
// preference that differed from the default.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/client.js";
import { migrate, MIGRATIONS_DIR } from "../../src/db/migrate.js";
import { createEmptyServerDatabase } from "../helpers/db.js";

test("members of the first schema become addresses, users and members", async (t) => {
  const empty = await createEmptyServerDatabase();
  t.after(() => empty.drop());
  const db = await openDatabase({ url: empty.url });
  t.after(() => db.close());
  // The first schema alone: a copy of the migrations folder up to the init migration.
  const dir = mkdtempSync(join(tmpdir(), "mailroom-migrations-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const names = readdirSync(MIGRATIONS_DIR).filter((n) => /^\d{14}_/.test(n)).sort();
  const until = names.indexOf(names.find((n) => n.endsWith("_users_and_addresses"))!);
  for (const n of names.slice(0, until)) cpSync(join(MIGRATIONS_DIR, n), join(dir, n), { recursive: true });
  await migrate(db, dir);

  const s = await db.session();
  try {
    await s.exec(`
      INSERT INTO "Domain" ("mailHost") VALUES ('example.com');
      INSERT INTO "MailingList" ("listName", "mailHost", "listId", "domainId", "displayName", "subjectPrefix")
        VALUES ('a', 'example.com', 'a.example.com', 1, 'A', '[A] '), ('b', 'example.com', 'b.example.com', 1, 'B', '[B] ');
      INSERT INTO "Member" ("listId", address, "addressKey", "displayName", role, "deliveryStatus", "receiveOwnPostings", "receiveListCopy", "moderationAction", "bounceScore")
        VALUES (1, 'Anne@example.com', 'anne@example.com', '', 'member', 'by_bounces', true, true, NULL, 3),
               (2, 'anne@example.com', 'anne@example.com', 'Anne Person', 'member', 'enabled', false, true, 'hold', 0),
               (1, 'anne@example.com', 'anne@example.com', '', 'owner', 'enabled', true, false, NULL, 0),
               (1, 'Bart@example.com', 'bart@example.com', 'Bart', 'nonmember', 'enabled', true, true, 'discard', 0);`);
  } finally {
    await s.release();
  }
  await migrate(db);

  const addresses = await db.prisma.address.findMany({ orderBy: { email: "asc" }, include: { user: true } });
  assert.deepEqual(addresses.map((a) => [a.email, a.originalEmail, a.displayName, a.verifiedOn !== null, a.user?.displayName]), [
    ["anne@example.com", "Anne@example.com", "Anne Person", true, "Anne Person"],
    ["bart@example.com", "Bart@example.com", "Bart", true, "Bart"],
  ]);
  const members = await db.prisma.member.findMany({ orderBy: { id: "asc" } });
  assert.deepEqual(members.map((m) => [m.address, m.displayName, m.role, m.addressId, m.deliveryStatus, m.receiveOwnPostings, m.receiveListCopy, m.moderationAction, m.bounceScore]), [
    ["Anne@example.com", "", "member", addresses[0]!.id, "by_bounces", null, null, null, 3],
    ["anne@example.com", "Anne Person", "member", addresses[0]!.id, null, false, null, "hold", 0],
    ["anne@example.com", "", "owner", addresses[0]!.id, null, null, false, null, 0],
    ["Bart@example.com", "Bart", "nonmember", addresses[1]!.id, null, null, null, "discard", 0],
  ]);
  // New users and addresses get ids after the migrated ones.
  const u = await db.prisma.user.create({ data: {} });
  assert.ok(u.id > Math.max(...addresses.map((a) => a.userId!)));
});
