// The maps are part of the change: a failing MapsUpdater turns a list or domain
// change into a 503 and rolls it back; a working one sees the change inside the
// transaction. Every change NOTIFYs mailroom_lists so other processes drop caches.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MailroomError } from "../../src/domain/errors.js";
import type { Tx } from "../../src/db/client.js";
import type { MapsChange, MapsWrite } from "../../src/mta/updater.js";
import { LISTS_CHANNEL } from "../../src/services/notify.js";
import { build } from "../helpers/app.js";

/** A MapsUpdater that records what it saw in the transaction and how it settled, and fails on demand. */
function fakeMaps() {
  const fake = {
    fail: null as null | Error,
    seen: [] as string[][],
    changes: [] as MapsChange[],
    /** settle() calls: true committed, false rolled back. */
    settled: [] as boolean[],
    reloads: 0,
    async regenerate(tx: Tx, change: MapsChange): Promise<MapsWrite> {
      fake.seen.push((await tx.mailingList.findMany({ orderBy: { listId: "asc" } })).map((l) => l.listId));
      fake.changes.push(change);
      return { changed: !fake.fail, error: fake.fail ?? undefined, settle: async (ok) => { fake.settled.push(ok); } };
    },
    async reload() { fake.reloads++; },
    async writeNow() {},
  };
  return fake;
}

test("maps and notifications", async (t) => {
  const maps = fakeMaps();
  const { call, testDb } = await build(t, { maps });
  const notes: string[] = [];
  const unlisten = await testDb.db.listen(LISTS_CHANNEL, (p) => notes.push(p));
  const waitFor = async (payload: string) => {
    for (let i = 0; i < 100 && !notes.includes(payload); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(notes.includes(payload), `NOTIFY ${payload} seen (got ${JSON.stringify(notes)})`);
  };

  await t.test("maps are regenerated inside the transaction, seeing the new list", async () => {
    assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).status, 201);
    assert.equal((await call("POST", "/lists", { address: "one@example.com" })).status, 201);
    assert.deepEqual(maps.seen.at(-1), ["one.example.com"]);
    assert.deepEqual(maps.changes.at(-1), { lists: ["one.example.com"] });
    assert.deepEqual(maps.settled.at(-1), true, "settled after the commit");
    await waitFor("one.example.com");
  });

  await t.test("a maps failure answers 503 naming the cause and rolls the list back", async () => {
    maps.fail = new MailroomError("maps-unavailable", "postmap failed: /var/data/postfix_lmtp: permission denied");
    const r = await call("POST", "/lists", { address: "two@example.com" });
    assert.equal(r.status, 503);
    assert.match(r.headers["content-type"] as string, /^application\/problem\+json/);
    assert.equal(r.body.type, "urn:mailroom:problem:maps-unavailable");
    assert.match(r.body.detail, /permission denied/);
    assert.equal((await call("GET", "/lists/two.example.com")).status, 404);
    assert.equal(maps.settled.at(-1), false, "the maps writer is told of the rollback");
  });

  await t.test("deletes are rolled back too, and the maps rewritten from the committed state", async () => {
    maps.fail = new MailroomError("maps-unavailable", "postmap failed: disk full");
    const settled = maps.settled.length;
    const del = await call("DELETE", "/lists/one.example.com");
    assert.equal(del.status, 503);
    assert.match(del.body.detail, /disk full/);
    assert.deepEqual(maps.settled.slice(settled), [false], "the maps writer is told of the rollback (it rewrites the maps if it must)");
    assert.equal((await call("GET", "/lists/one.example.com")).status, 200);
    assert.equal((await call("DELETE", "/domains/example.com")).status, 503);
    assert.equal((await call("GET", "/domains/example.com")).status, 200);
    assert.equal((await call("PATCH", "/domains/example.com", { aliasDomain: "alias.example.org" })).status, 503);
    assert.equal((await call("GET", "/domains/example.com")).body.aliasDomain, null);
    const id = maps.changes.at(-1)?.domains?.[0];
    assert.ok(typeof id === "number", `a domain change names the domain (got ${JSON.stringify(maps.changes.at(-1))})`);
    maps.fail = null;
  });

  await t.test("an error that is not the maps' own is not a 503 (and still rolls back)", async () => {
    maps.fail = new Error("relation does not exist");
    const r = await call("POST", "/lists", { address: "four@example.com" });
    assert.equal(r.status, 500);
    assert.doesNotMatch(JSON.stringify(r.body), /relation does not exist/);
    assert.equal((await call("GET", "/lists/four.example.com")).status, 404);
    maps.fail = null;
  });

  await t.test("creating a domain touches neither the maps nor the list caches", async () => {
    const seen = maps.seen.length;
    notes.length = 0;
    assert.equal((await call("POST", "/domains", { mailHost: "example.net" })).status, 201);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(maps.seen.length, seen);
    assert.ok(!notes.includes("*"), `no NOTIFY * (got ${JSON.stringify(notes)})`);
  });

  await t.test("Postfix is reloaded after the commit, not inside the transaction", async () => {
    const reloads = maps.reloads;
    assert.equal((await call("POST", "/lists", { address: "five@example.com" })).status, 201);
    assert.equal(maps.reloads, reloads + 1);
  });

  await t.test("a patch notifies; deleting regenerates without the list", async () => {
    notes.length = 0;
    assert.equal((await call("PATCH", "/lists/one.example.com", { emergency: true })).status, 200);
    await waitFor("one.example.com");
    assert.equal((await call("DELETE", "/lists/one.example.com")).status, 204);
    assert.deepEqual(maps.seen.at(-1), ["five.example.com"]);
  });

  await t.test("no NOTIFY escapes a rolled-back change", async () => {
    maps.fail = new MailroomError("maps-unavailable", "nope");
    assert.equal((await call("POST", "/lists", { address: "three@example.com" })).status, 503);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!notes.includes("three.example.com"), `no NOTIFY for the rolled-back list (got ${JSON.stringify(notes)})`);
    maps.fail = null;
  });
  await unlisten();
});
