// /users and /addresses over inject, and preferences resolved member, address,
// user, system as Mailman does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";

test("users and addresses API", async (t) => {
  const { call } = await build(t);
  assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await call("POST", "/lists", { address: "team@example.com" })).status, 201);

  let userId = "";
  await t.test("creates a user with a first address", async () => {
    const r = await call("POST", "/users", { email: "Anne@Example.com", displayName: "Anne", password: "secret" });
    assert.equal(r.status, 201);
    userId = r.body.userId;
    assert.match(userId, /^[0-9a-f-]{36}$/);
    assert.equal(r.headers.location, `/users/${userId}`);
    assert.match(r.body.password, /^\$scrypt\$/);
    assert.equal((await call("POST", "/users", { email: "anne@example.com" })).status, 409);
    assert.equal((await call("POST", "/users", { email: "not an address" })).status, 400);
    assert.equal((await call("POST", "/users", { nickname: "x" })).status, 400);
  });

  await t.test("finds the user by id in any of Mailman's spellings, or by an address", async () => {
    const hex = userId.replaceAll("-", "");
    for (const ref of [userId, hex, BigInt(`0x${hex}`).toString(), "ANNE@example.com"]) {
      const r = await call("GET", `/users/${encodeURIComponent(ref)}`);
      assert.equal(r.status, 200, ref);
      assert.equal(r.body.userId, userId);
    }
    assert.equal((await call("GET", "/users/nobody@example.com")).status, 404);
    assert.equal((await call("GET", "/users/zzz")).status, 404);
  });

  await t.test("checks the password", async () => {
    assert.deepEqual((await call("POST", `/users/${userId}/login`, { password: "secret" })).body, { valid: true });
    assert.deepEqual((await call("POST", `/users/${userId}/login`, { password: "wrong" })).body, { valid: false });
  });

  await t.test("links addresses; the preferred one must be verified and the user's", async () => {
    const r = await call("POST", `/users/${userId}/addresses`, { email: "anne@work.example.com" });
    assert.equal(r.status, 201);
    assert.equal(r.body.verifiedOn, null);
    assert.equal((await call("PATCH", `/users/${userId}`, { preferredAddress: "anne@work.example.com" })).status, 400);
    assert.equal((await call("PATCH", "/addresses/anne@work.example.com", { verified: true })).body.verifiedOn !== null, true);
    const p = await call("PATCH", `/users/${userId}`, { preferredAddress: "anne@work.example.com" });
    assert.equal(p.status, 200);
    assert.equal(p.body.preferredAddress, "anne@work.example.com");
    const list = await call("GET", `/users/${userId}/addresses`);
    assert.deepEqual(list.body.items.map((a: { email: string }) => a.email), ["Anne@example.com", "anne@work.example.com"]);
    assert.equal((await call("POST", "/users", { email: "bart@example.com" })).status, 201);
    assert.equal((await call("POST", `/users/${userId}/addresses`, { email: "bart@example.com" })).status, 409);
  });

  await t.test("preferences resolve member, address, user, system", async () => {
    assert.equal((await call("POST", "/lists/team.example.com/members", { address: "anne@example.com" })).status, 201);
    const get = async () => (await call("GET", "/lists/team.example.com/members/anne@example.com")).body;
    assert.equal((await get()).deliveryStatus, "enabled");
    assert.equal((await get()).preferredLanguage, "en");
    await call("PATCH", `/users/${userId}/preferences`, { deliveryStatus: "by_user", preferredLanguage: "fr" });
    assert.deepEqual([(await get()).deliveryStatus, (await get()).preferredLanguage], ["by_user", "fr"]);
    await call("PATCH", "/addresses/anne@example.com/preferences", { deliveryStatus: "enabled" });
    assert.equal((await get()).deliveryStatus, "enabled");
    const m = await call("PATCH", "/lists/team.example.com/members/anne@example.com", { deliveryStatus: "by_moderator" });
    assert.equal(m.body.deliveryStatus, "by_moderator");
    assert.deepEqual(m.body.ownPreferences, { deliveryStatus: "by_moderator" });
    const unset = await call("PATCH", "/lists/team.example.com/members/anne@example.com", { deliveryStatus: null });
    assert.equal(unset.body.deliveryStatus, "enabled");
    assert.deepEqual((await call("GET", "/addresses/anne@example.com/preferences")).body, { deliveryStatus: "enabled" });
    assert.deepEqual((await call("GET", `/users/${userId}/preferences`)).body, { deliveryStatus: "by_user", preferredLanguage: "fr" });
    assert.equal((await call("PATCH", `/users/${userId}/preferences`, { deliveryMode: "fortnightly" })).status, 400);
  });

  await t.test("a subscribed address gets a verified address and a user", async () => {
    assert.equal((await call("POST", "/lists/team.example.com/members", { address: "Cris@example.com", displayName: "Cris" })).status, 201);
    const a = await call("GET", "/addresses/cris@example.com");
    assert.equal(a.body.email, "Cris@example.com");
    assert.notEqual(a.body.verifiedOn, null);
    const u = await call("GET", "/users/cris@example.com");
    assert.equal(u.body.displayName, "Cris");
    const ms = await call("GET", "/addresses/cris@example.com/memberships");
    assert.deepEqual(ms.body.items.map((m: { listId: string; role: string }) => [m.listId, m.role]), [["team.example.com", "member"]]);
    assert.equal((await call("GET", "/addresses?limit=2")).body.items.length, 2);
    assert.equal((await call("GET", "/users?limit=1")).body.items.length, 1);
  });

  await t.test("deleting a user deletes its addresses and memberships", async () => {
    assert.equal((await call("DELETE", `/users/${userId}`)).status, 204);
    assert.equal((await call("GET", "/addresses/anne@example.com")).status, 404);
    assert.equal((await call("GET", "/lists/team.example.com/members/anne@example.com")).status, 404);
    assert.equal((await call("DELETE", "/addresses/cris@example.com")).status, 204);
    assert.equal((await call("GET", "/lists/team.example.com/members/cris@example.com")).status, 404);
  });
});
