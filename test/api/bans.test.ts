// /bans and /lists/{list}/bans over inject: exact and ^pattern bans, per list and
// global; a banned address cannot subscribe (one add, bulk add, subscription request).
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";

test("bans API", async (t) => {
  const { call, testDb } = await build(t);
  assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await call("POST", "/lists", { address: "team@example.com" })).status, 201);
  assert.equal((await call("POST", "/lists", { address: "other@example.com" })).status, 201);

  await t.test("adds list and global bans; 409 for the same again; 400 for a bad pattern", async () => {
    const r = await call("POST", "/lists/team.example.com/bans", { email: "Spammer@Example.org" });
    assert.equal(r.status, 201);
    assert.deepEqual([r.body.email, r.body.listId], ["spammer@example.org", "team.example.com"]);
    assert.equal(r.headers.location, "/lists/team.example.com/bans/spammer%40example.org");
    assert.equal((await call("POST", "/lists/team.example.com/bans", { email: "spammer@example.org" })).status, 409);
    const g = await call("POST", "/bans", { email: "^.*@spam\\.example$" });
    assert.equal(g.status, 201);
    assert.equal(g.body.listId, null);
    assert.equal((await call("POST", "/bans", { email: "^(unclosed" })).status, 400);
    assert.equal((await call("POST", "/lists/nosuch.example.com/bans", { email: "a@b.example" })).status, 404);
  });

  await t.test("lists, reads and lifts bans", async () => {
    assert.deepEqual((await call("GET", "/lists/team.example.com/bans")).body.items.map((b: { email: string }) => b.email), ["spammer@example.org"]);
    assert.equal((await call("GET", "/bans")).body.total, 1);
    assert.equal((await call("GET", `/bans/${encodeURIComponent("^.*@spam\\.example$")}`)).status, 200);
    assert.equal((await call("GET", "/lists/other.example.com/bans/spammer@example.org")).status, 404);
  });

  await t.test("a banned address cannot subscribe, on its list or anywhere for a global ban", async () => {
    const one = await call("POST", "/lists/team.example.com/members", { address: "spammer@example.org" });
    assert.equal(one.status, 400);
    assert.match(one.body.detail, /banned/);
    assert.equal((await call("POST", "/lists/other.example.com/members", { address: "spammer@example.org" })).status, 201);
    assert.equal((await call("POST", "/lists/other.example.com/members", { address: "Eve@SPAM.example" })).status, 400);
    // A refused add writes nothing: no Address (nor User) for the banned address.
    assert.equal(await testDb.db.prisma.address.count({ where: { email: { in: ["eve@spam.example"] } } }), 0);
    assert.equal(await testDb.db.prisma.address.count({ where: { email: "spammer@example.org" } }), 1);
    const bulk = await call("POST", "/lists/team.example.com/members/bulk", { members: [{ address: "ok@example.org" }, { address: "x@spam.example" }] });
    assert.deepEqual(bulk.body, { created: 1, existing: 0, invalid: [{ address: "x@spam.example", reason: "banned" }] });
    const req = await call("POST", "/lists/team.example.com/subscriptions", { address: "spammer@example.org", confirm: false });
    assert.equal(req.status, 400);
  });

  await t.test("a lifted ban lets the address in", async () => {
    assert.equal((await call("DELETE", "/lists/team.example.com/bans/spammer@example.org")).status, 204);
    assert.equal((await call("DELETE", "/lists/team.example.com/bans/spammer@example.org")).status, 404);
    assert.equal((await call("POST", "/lists/team.example.com/members", { address: "spammer@example.org" })).status, 201);
  });
});
