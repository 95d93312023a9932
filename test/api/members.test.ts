// /lists/{list}/members over inject: add in each role, bulk add, pages, read, patch,
// remove, and the 400/401/404/409 answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";

test("members API", async (t) => {
  const { call, request } = await build(t);
  assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await call("POST", "/lists", { address: "team@example.com" })).status, 201);

  await t.test("adds a member, keeping the spelling given and normalising the domain", async () => {
    const r = await call("POST", "/lists/team.example.com/members", { address: "  Anne@Example.COM ", displayName: "Anne" });
    assert.equal(r.status, 201);
    assert.equal(r.body.address, "Anne@example.com");
    assert.equal(r.body.role, "member");
    assert.equal(r.body.listId, "team.example.com");
    assert.equal(r.body.moderationAction, null);
    assert.equal(r.headers.location, "/lists/team.example.com/members/Anne%40example.com");
  });

  await t.test("adds a member with preferences", async () => {
    const r = await call("POST", "/lists/team.example.com/members", {
      address: "prefs@example.com", role: "nonmember", deliveryStatus: "by_moderator", moderationAction: "discard",
      receiveOwnPostings: false, receiveListCopy: false,
    });
    assert.equal(r.status, 201);
    assert.deepEqual(
      [r.body.role, r.body.deliveryStatus, r.body.moderationAction, r.body.receiveOwnPostings, r.body.receiveListCopy, r.body.displayName],
      ["nonmember", "by_moderator", "discard", false, false, ""],
    );
    const nullAction = await call("POST", "/lists/team.example.com/members", { address: "prefs@example.com", role: "moderator", moderationAction: null });
    assert.equal(nullAction.status, 201);
    assert.equal(nullAction.body.moderationAction, null);
    assert.equal(nullAction.body.deliveryStatus, "enabled");
  });

  await t.test("409 for the same address in the same role, whatever its case", async () => {
    const r = await call("POST", "/lists/team@example.com/members", { address: "anne@example.com" });
    assert.equal(r.status, 409);
    assert.match(r.headers["content-type"] as string, /^application\/problem\+json/);
    assert.equal(r.body.status, 409);
  });

  await t.test("the same address may hold another role", async () => {
    const r = await call("POST", "/lists/team.example.com/members", { address: "anne@example.com", role: "owner" });
    assert.equal(r.status, 201);
    assert.equal(r.headers.location, "/lists/team.example.com/members/anne%40example.com?role=owner");
  });

  await t.test("400 for a bad address, an unknown role or an unknown field", async () => {
    for (const body of [{ address: "not-an-address" }, { address: "a@b.com", role: "admin" }, { address: "a@b.com", colour: "red" }, {}]) {
      const r = await call("POST", "/lists/team.example.com/members", body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.type, "urn:mailroom:problem:invalid-input");
    }
  });

  await t.test("404 for a list that does not exist", async () => {
    assert.equal((await call("POST", "/lists/nope.example.com/members", { address: "a@example.com" })).status, 404);
    assert.equal((await call("GET", "/lists/nope.example.com/members")).status, 404);
  });

  await t.test("gets one member by address in any case, by role", async () => {
    const r = await call("GET", "/lists/team.example.com/members/ANNE@example.com");
    assert.equal(r.status, 200);
    assert.equal(r.body.displayName, "Anne");
    assert.equal((await call("GET", "/lists/team.example.com/members/anne@example.com?role=owner")).body.role, "owner");
    assert.equal((await call("GET", "/lists/team.example.com/members/anne@example.com?role=moderator")).status, 404);
    assert.equal((await call("GET", "/lists/team.example.com/members/nobody@example.com")).status, 404);
    assert.equal((await call("GET", "/lists/team.example.com/members/garbage")).status, 404);
    assert.equal((await call("GET", "/lists/team.example.com/members/anne@example.com?role=boss")).status, 400);
  });

  await t.test("patches preferences", async () => {
    const r = await call("PATCH", "/lists/team.example.com/members/anne@example.com",
      { deliveryStatus: "by_user", moderationAction: "hold", receiveOwnPostings: false });
    assert.equal(r.status, 200);
    assert.equal(r.body.deliveryStatus, "by_user");
    assert.equal(r.body.moderationAction, "hold");
    assert.equal(r.body.receiveOwnPostings, false);
    const back = await call("PATCH", "/lists/team.example.com/members/anne@example.com", { moderationAction: null });
    assert.equal(back.body.moderationAction, null);
    assert.equal((await call("PATCH", "/lists/team.example.com/members/anne@example.com", { role: "owner" })).status, 400);
    assert.equal((await call("PATCH", "/lists/team.example.com/members/anne@example.com", { deliveryStatus: "off" })).status, 400);
    assert.equal((await call("PATCH", "/lists/team.example.com/members/zed@example.com", { displayName: "Z" })).status, 404);
  });

  await t.test("bulk add reports created, existing and invalid", async () => {
    const members = [
      { address: "b1@example.com" }, { address: "B2@example.com", displayName: "Bee" },
      { address: "anne@EXAMPLE.com" }, { address: "b1@example.com" }, { address: "nonsense" },
    ];
    const r = await call("POST", "/lists/team.example.com/members/bulk", { members });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { created: 2, existing: 2, invalid: [{ address: "nonsense", reason: "not a valid email address" }] });
    const b2 = await call("GET", "/lists/team.example.com/members/b2@example.com");
    assert.equal(b2.body.address, "B2@example.com");
    assert.equal(b2.body.displayName, "Bee");
    assert.equal(b2.body.deliveryStatus, "enabled");
    assert.equal((await call("POST", "/lists/team.example.com/members/bulk", { members: [{ email: "x@y.com" }] })).status, 400);
    assert.equal((await call("POST", "/lists/nope.example.com/members/bulk", { members: [] })).status, 404);
  });

  await t.test("bulk add of 10,000 in one call", async () => {
    const members = Array.from({ length: 10_000 }, (_, i) => ({ address: `user${i}@bulk.example.org` }));
    const r = await call("POST", "/lists/team.example.com/members/bulk", { members });
    assert.equal(r.status, 200);
    assert.equal(r.body.created, 10_000);
    const again = await call("POST", "/lists/team.example.com/members/bulk", { members: members.slice(0, 10) });
    assert.deepEqual(again.body, { created: 0, existing: 10, invalid: [] });
  });

  await t.test("pages through members with an opaque cursor, by role", async () => {
    const first = await call("GET", "/lists/team.example.com/members?limit=2");
    assert.equal(first.status, 200);
    assert.equal(first.body.items.length, 2);
    assert.equal(first.body.total, 10_006);
    const second = await call("GET", `/lists/team.example.com/members?limit=2&cursor=${first.body.nextCursor}`);
    assert.notEqual(second.body.items[0].address, first.body.items[0].address);
    const owners = await call("GET", "/lists/team.example.com/members?role=owner");
    assert.equal(owners.body.total, 1);
    assert.equal(owners.body.nextCursor, undefined);
    assert.equal((await call("GET", "/lists/team.example.com/members?limit=0")).status, 400);
    assert.equal((await call("GET", "/lists/team.example.com/members?limit=1001")).status, 400);
    assert.equal((await call("GET", "/lists/team.example.com/members?cursor=bogus")).status, 400);
  });

  await t.test("removes a member from one role only", async () => {
    assert.equal((await call("DELETE", "/lists/team.example.com/members/Anne@example.com")).status, 204);
    assert.equal((await call("GET", "/lists/team.example.com/members/anne@example.com")).status, 404);
    assert.equal((await call("GET", "/lists/team.example.com/members/anne@example.com?role=owner")).status, 200);
    assert.equal((await call("DELETE", "/lists/team.example.com/members/anne@example.com")).status, 404);
  });

  await t.test("401 without credentials", async () => {
    const r = await request({ method: "GET", url: "/lists/team.example.com/members", headers: { authorization: "" } });
    assert.equal(r.statusCode, 401);
  });
});
