// The list object cache: two service instances on one database (as two mailroom
// processes would be) see each other's changes through NOTIFY, and a read that raced
// a change never caches the old row.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { createServices } from "../../src/services/index.js";
import { ListViewCache } from "../../src/services/list-cache.js";
import type { ListView } from "../../src/services/list-settings.js";
import { NO_MAPS } from "../../src/mta/updater.js";
import { createTestDatabase } from "../helpers/db.js";
import { waitFor } from "../helpers/wait.js";

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  await waitFor(what, check, 3000, 20);
}
test("ListViewCache ignores a fill that raced an invalidation", () => {
  const cache = new ListViewCache();
  cache.live = true;
  const view = { id: 1, view: { listId: "a.example.com" } as ListView };
  const token = cache.token();
  cache.invalidate("a.example.com");
  cache.set("a.example.com", view, token);
  assert.equal(cache.get("a.example.com"), undefined);
  cache.set("a.example.com", view, cache.token());
  assert.equal(cache.get("a.example.com"), view);
  cache.invalidate("*");
  assert.equal(cache.get("a.example.com"), undefined);
  cache.live = false;
  cache.set("a.example.com", view, cache.token());
  assert.equal(cache.get("a.example.com"), undefined, "nothing is cached without LISTEN");
});

test("a change made by one process reaches another's cached list objects", async (t) => {
  const testDb = await createTestDatabase();
  t.after(() => testDb.close());
  const make = () => createServices({ db: testDb.db, config: loadConfig({}), log: createLogger("silent"), maps: NO_MAPS });
  const a = make();
  const b = make();
  assert.equal(await a.lists.caching, true);
  assert.equal(await b.lists.caching, true);
  await a.domains.create({ mailHost: "example.com" });
  await a.lists.create({ address: "shared@example.com" });
  assert.equal((await b.lists.get("shared.example.com")).displayName, "Shared");

  await a.lists.update("shared.example.com", { displayName: "Renamed" });
  assert.equal((await a.lists.get("shared.example.com")).displayName, "Renamed", "the writer reads its own write at once");
  await eventually(async () => (await b.lists.get("shared.example.com")).displayName === "Renamed", "b sees the rename");

  // A writer that only sends the NOTIFY (another program on the database) is honoured too.
  await testDb.db.prisma.$executeRaw`UPDATE "MailingList" SET description = 'outside' WHERE "listId" = 'shared.example.com'`;
  await testDb.db.prisma.$executeRaw`SELECT pg_notify('mailroom_lists', 'shared.example.com')`;
  await eventually(async () => (await b.lists.get("shared.example.com")).description === "outside", "b sees the outside change");

  await a.domains.remove("example.com");
  await assert.rejects(a.lists.get("shared.example.com"), /does not exist/);
  await eventually(() => b.lists.get("shared.example.com").then(() => false, () => true), "b sees the list gone");

  await t.test("a list deleted elsewhere before its NOTIFY arrives is a 404 for member changes, not a 500", async () => {
    await a.domains.create({ mailHost: "example.org" });
    await a.lists.create({ address: "brief@example.org" });
    await b.lists.get("brief.example.org");
    // Deleted without a NOTIFY: b still has it cached.
    await testDb.db.prisma.$executeRaw`DELETE FROM "MailingList" WHERE "listId" = 'brief.example.org'`;
    await assert.rejects(b.members.add("brief.example.org", { address: "x@example.org" }), { code: "not-found" });
    await assert.rejects(b.members.bulkAdd("brief.example.org", [{ address: "x@example.org" }]), { code: "not-found" });
  });
});
