// RCPT decisions (src/services/recipients.ts) follow the database at that moment:
// a list deleted or moved is refused at once, with no NOTIFY to wait for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../../src/log.js";
import { createRecipientResolver } from "../../src/services/recipients.js";
import { build } from "../helpers/app.js";
import { until } from "../helpers/wait.js";

test("a list deleted or moved is refused at the next RCPT, even if no NOTIFY ever arrives", async (t) => {
  const { services, testDb } = await build(t);
  // NOTIFY is asynchronous and may come late (another process): this resolver never gets one.
  const noNotify = { ...testDb.db, listen: async () => async () => {} };
  const resolver = createRecipientResolver(noNotify, createLogger("silent"));

  await services.domains.create({ mailHost: "example.com" });
  await services.lists.create({ address: "mylist@example.com" });
  assert.equal((await resolver.resolve("mylist@example.com"))?.listId, "mylist.example.com");
  await services.lists.remove("mylist.example.com");
  assert.equal(await resolver.resolve("mylist@example.com"), null, "no 250 right after DELETE");

  await services.lists.create({ address: "other@example.com" });
  await services.domains.update("example.com", { aliasDomain: "alias.example.org" });
  assert.equal((await resolver.resolve("other@alias.example.org"))?.listId, "other.example.com");
  await services.domains.update("example.com", { aliasDomain: null });
  assert.equal(await resolver.resolve("other@alias.example.org"), null, "no 250 at the old alias domain");
});

test("RCPT is decided while REST transactions hold every connection of the main pool", async (t) => {
  const { services, testDb } = await build(t);
  await services.domains.create({ mailHost: "example.com" });
  await services.lists.create({ address: "mylist@example.com" });
  // A burst of list changes waiting for the Postfix maps holds pool connections for
  // seconds; here ten transactions hold all ten until the RCPT has been answered.
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  let open = 0;
  const holders = Array.from({ length: 10 }, () => testDb.db.prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1`;
    open++;
    await held;
  }, { timeout: 30_000, maxWait: 30_000 }));
  await until(async () => open === 10);
  try {
    const resolver = createRecipientResolver(testDb.db, createLogger("silent"));
    const started = Date.now();
    assert.equal((await resolver.resolve("mylist@example.com"))?.listId, "mylist.example.com");
    assert.ok(Date.now() - started < 2000, "answered without waiting for the main pool");
  } finally {
    release();
    await Promise.all(holders);
  }
});
