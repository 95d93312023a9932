// /lists over inject: create with settings, read by id or address, keyset pages,
// patch, delete, and the 400/401/404/409 answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";
import { SETTING_KEYS } from "../../src/services/list-settings.js";

test("lists API", async (t) => {
  const { call, request, testDb } = await build(t);
  await call("POST", "/domains", { mailHost: "example.com" });
  await call("POST", "/domains", { mailHost: "example.org" });

  await t.test("creates a list with Mailman's defaults", async () => {
    const r = await call("POST", "/lists", { address: "MyList@Example.com" });
    assert.equal(r.status, 201);
    assert.equal(r.headers.location, "/lists/mylist.example.com");
    const l = r.body;
    assert.equal(l.listId, "mylist.example.com");
    assert.equal(l.address, "mylist@example.com");
    assert.equal(l.name, "mylist");
    assert.equal(l.domain, "example.com");
    assert.equal(l.displayName, "Mylist");
    assert.equal(l.subjectPrefix, "[Mylist] ");
    assert.equal(l.defaultNonmemberAction, "hold");
    assert.equal(l.hasModeratorPassword, false);
    for (const key of SETTING_KEYS) assert.ok(key in l, `list object carries ${key}`);
  });

  await t.test("creates a list with settings; the moderator password is stored hashed and never returned", async () => {
    const r = await call("POST", "/lists", {
      address: "dev@example.com", displayName: "Developers", moderatorPassword: "s3cret",
      subscriptionPolicy: "open", maxMessageSize: 100, acceptableAliases: ["^dev-.*@example\\.com$"],
      headerMatches: [{ header: "X-Spam-Flag", pattern: "^YES", action: "discard" }], replyToAddress: "Dev@EXAMPLE.com",
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.subjectPrefix, "[Developers] ");
    assert.equal(r.body.hasModeratorPassword, true);
    assert.equal(r.body.moderatorPassword, undefined);
    assert.equal(r.body.replyToAddress, "Dev@example.com");
    assert.deepEqual(r.body.headerMatches, [{ header: "X-Spam-Flag", pattern: "^YES", action: "discard" }]);
    const row = await testDb.db.prisma.mailingList.findUnique({ where: { listId: "dev.example.com" } });
    assert.match(row!.moderatorPassword!, /^\$scrypt\$/);
  });

  await t.test("400 if the domain does not exist, for bad settings and unknown fields", async () => {
    const cases = [
      { address: "x@nodomain.example" }, { address: "bad address" }, { address: "a+b@example.com" },
      { address: "x@example.com", colour: "blue" }, { address: "x@example.com", subscriptionPolicy: "whenever" },
      { address: "x@example.com", maxMessageSize: -1 }, { address: "x@example.com", advertised: "maybe" },
      { address: "x@example.com", headerMatches: [{ header: "X", pattern: "(", action: "hold" }] },
      { address: "x@example.com", acceptableAliases: ["^(["] }, { address: "x@example.com", replyToAddress: "nope" },
      { address: "x@example.com", moderatorPassword: 5 }, {},
    ];
    for (const body of cases) {
      const r = await call("POST", "/lists", body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.status, 400);
      assert.ok(r.body.detail.length > 0);
    }
    assert.equal((await call("GET", "/lists/x.example.com")).status, 404, "nothing was created");
  });

  await t.test("409 if the list exists", async () => {
    assert.equal((await call("POST", "/lists", { address: "MYLIST@example.com" })).status, 409);
  });

  await t.test("gets a list by list id or by posting address, in any case", async () => {
    for (const ref of ["mylist.example.com", "mylist@example.com", "MyList@Example.Com", "MYLIST.example.com"]) {
      const r = await call("GET", `/lists/${ref}`);
      assert.equal(r.status, 200, ref);
      assert.equal(r.body.listId, "mylist.example.com");
    }
    assert.equal((await call("GET", "/lists/nope.example.com")).status, 404);
    assert.equal((await call("GET", "/lists/nope@example.com")).status, 404);
    assert.equal((await call("GET", "/lists/@@")).status, 404);
  });

  await t.test("pages through lists with a cursor and filters by domain", async () => {
    for (let i = 0; i < 5; i++) await call("POST", "/lists", { address: `p${i}@example.org` });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await call("GET", `/lists?domain=example.org&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.total, 5);
      seen.push(...r.body.items.map((l: { listId: string }) => l.listId));
      cursor = r.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, ["p0.example.org", "p1.example.org", "p2.example.org", "p3.example.org", "p4.example.org"]);
    const all = await call("GET", "/lists");
    assert.equal(all.body.total, 7);
    assert.equal(all.body.nextCursor, undefined);
    assert.equal((await call("GET", "/lists?limit=abc")).status, 400);
    assert.equal((await call("GET", "/lists?cursor=%%%")).status, 400);
    assert.equal((await call("GET", "/lists?sort=name")).status, 400);
  });

  await t.test("patches settings, leaving the others", async () => {
    const r = await call("PATCH", "/lists/mylist@example.com", { displayName: "My List", emergency: true, archivePolicy: "private" });
    assert.equal(r.status, 200);
    assert.equal(r.body.displayName, "My List");
    assert.equal(r.body.emergency, true);
    assert.equal(r.body.archivePolicy, "private");
    assert.equal(r.body.subjectPrefix, "[Mylist] ");
    assert.equal((await call("GET", "/lists/mylist.example.com")).body.emergency, true);
    const removed = await call("PATCH", "/lists/dev.example.com", { moderatorPassword: null });
    assert.equal(removed.body.hasModeratorPassword, false);
    assert.equal((await call("PATCH", "/lists/mylist.example.com", { listId: "other" })).status, 400);
    assert.equal((await call("PATCH", "/lists/mylist.example.com", { personalize: "yes" })).status, 400);
    assert.equal((await call("PATCH", "/lists/nope.example.com", { emergency: true })).status, 404);
  });

  await t.test("deletes a list and its members", async () => {
    await call("POST", "/lists/p0.example.org/members", { address: "a@example.org" });
    assert.equal((await call("DELETE", "/lists/p0@example.org")).status, 204);
    assert.equal((await call("GET", "/lists/p0.example.org")).status, 404);
    assert.equal(await testDb.db.prisma.member.count({ where: { addressKey: "a@example.org" } }), 0);
    assert.equal((await call("DELETE", "/lists/p0.example.org")).status, 404);
  });

  await t.test("401 without credentials on every list route", async () => {
    for (const [method, url] of [["GET", "/lists"], ["POST", "/lists"], ["GET", "/lists/mylist.example.com"],
      ["PATCH", "/lists/mylist.example.com"], ["DELETE", "/lists/mylist.example.com"]] as const) {
      const r = await request({ method, url, headers: { authorization: "" }, payload: method === "GET" || method === "DELETE" ? undefined : {} });
      assert.equal(r.statusCode, 401, `${method} ${url}`);
    }
  });
});
