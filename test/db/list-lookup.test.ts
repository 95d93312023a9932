// The shared RCPT lookup (src/db/list-lookup.ts): lookups asked in one turn of the
// event loop (RCPTs of several sessions read in one poll) go to the database in one
// query, each still answered with its own rows, and a list created before the
// lookup was asked is found.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../../src/db/client.js";
import { createListFinder } from "../../src/db/list-lookup.js";
import { build } from "../helpers/app.js";

test("lookups asked in the same turn share one query, each with its own answer", async (t) => {
  const { services, testDb } = await build(t);
  await services.domains.create({ mailHost: "example.com" });
  await services.lists.create({ address: "one@example.com" });
  await services.lists.create({ address: "two@example.com" });
  let queries = 0;
  const counting: Database = { ...testDb.db, query: (name, sql, params) => { queries++; return testDb.db.query(name, sql, params); } };
  const finder = createListFinder(counting);

  const answers = await Promise.all([
    finder.listsAtHost(["one"], "example.com"),
    finder.listsAtHost(["two", "two-owner"], "example.com"),
    finder.listsAtHost(["nolist"], "example.com"),
    finder.listsAtHost(["one"], "elsewhere.example"),
  ]);
  assert.equal(queries, 1, "one query for the four lookups");
  assert.deepEqual(answers.map((rows) => rows.map((r) => r.listId)), [["one.example.com"], ["two.example.com"], [], []]);

  // Created after that query: the next lookup is a new query, and finds it.
  await services.lists.create({ address: "three@example.com" });
  assert.deepEqual((await finder.listsAtHost(["three"], "example.com")).map((r) => r.listId), ["three.example.com"]);
  assert.equal(queries, 2);
});

test("a lookup the database refuses fails alone, not the lookups that shared its query", async (t) => {
  const { services, testDb } = await build(t);
  await services.domains.create({ mailHost: "example.com" });
  await services.lists.create({ address: "one@example.com" });
  const finder = createListFinder(testDb.db);
  // PostgreSQL refuses a NUL in text: the shared query fails, then each goes alone.
  const [bad, good] = await Promise.allSettled([
    finder.listsAtHost(["x\u0000y"], "example.com"),
    finder.listsAtHost(["one"], "example.com"),
  ]);
  assert.equal(bad.status, "rejected");
  assert.deepEqual(good.status === "fulfilled" && good.value.map((r) => r.listId), ["one.example.com"]);
});

test("an address with a control character names no list and never reaches the query", async () => {
  const { recipientCandidates } = await import("../../src/domain/list-address.js");
  assert.deepEqual(recipientCandidates("x\u0000y@example.com"), []);
  assert.deepEqual(recipientCandidates("one\r@example.com"), []);
  assert.equal(recipientCandidates("one@example.com").length, 1);
});
