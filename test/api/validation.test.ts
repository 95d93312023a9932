// Input every route refuses before its schema runs (src/api/validation.ts): a NUL
// anywhere, and nesting deeper than any request needs. Issue 16: a body nested
// 10,000 deep gave a 500 (the NUL walk recursed until the stack ran out).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { build } from "../helpers/app.js";
import { inputProblem, MAX_DEPTH } from "../../src/api/validation.js";

const openapi = JSON.parse(readFileSync(new URL("../../openapi/openapi.json", import.meta.url), "utf8")) as {
  paths: Record<string, Record<string, unknown>>;
};

/** Every operation that takes a body, with its path parameters filled in. */
const withBody = Object.entries(openapi.paths).flatMap(([path, ops]) =>
  Object.keys(ops).filter((m) => ["post", "put", "patch"].includes(m)).map((m) => ({
    method: m.toUpperCase() as "POST" | "PUT" | "PATCH",
    url: path.replace(/\{[^}]+\}/g, (p) => (p === "{list}" ? "mylist.example.com" : p === "{address}" ? "anne@example.com" : "x")),
  })));

const N = 100_000;
const deep = {
  array: "[".repeat(N) + "]".repeat(N),
  object: '{"a":'.repeat(N) + "1" + "}".repeat(N),
  "object in a field": '{"displayName":' + '{"a":'.repeat(N) + "1" + "}".repeat(N + 1),
  // Fastify's parser (secure-json-parse) looks deeper at bodies naming __proto__.
  "__proto__ keys": '{"__proto__":'.repeat(N) + "1" + "}".repeat(N),
  "constructor keys": '{"constructor":{"prototype":'.repeat(N) + "1" + "}}".repeat(N),
};

test("JSON nested 100,000 deep gives 400 problem+json on every operation that takes a body", { timeout: 120_000 }, async (t) => {
  const a = await build(t);
  assert.ok(withBody.length >= 10, `found ${withBody.length} operations`);
  for (const { method, url } of withBody) {
    for (const [kind, payload] of Object.entries(deep)) {
      const r = await a.request({ method, url, payload, headers: { "content-type": "application/json" } });
      assert.equal(r.statusCode, 400, `${method} ${url} (${kind}): ${r.body.slice(0, 200)}`);
      assert.match(String(r.headers["content-type"]), /^application\/problem\+json/);
      assert.equal(r.json().status, 400);
    }
  }
  // The server goes on.
  assert.equal((await a.call("POST", "/domains", { mailHost: "example.com" })).status, 201);
});

test("inputProblem: names the first NUL and the depth limit, without recursion", () => {
  assert.equal(inputProblem({ members: [{ address: "a@x" }, { displayName: "b\0" }] }, "body"), "body/members/1/displayName contains a NUL character");
  assert.equal(inputProblem({ "k\0": 1 }, "body"), "body contains a NUL character");
  let nested: unknown = "leaf";
  for (let i = 0; i < MAX_DEPTH; i++) nested = [nested];
  assert.equal(inputProblem(nested, "body"), null, "MAX_DEPTH levels are fine");
  assert.match(inputProblem([nested], "body") ?? "", /nested more than 32 levels deep$/);
  let huge: unknown = null;
  for (let i = 0; i < N; i++) huge = { a: huge };
  assert.match(inputProblem(huge, "body") ?? "", /nested more than/);
});

// Issue 16: CR/LF in names was stored and replaced by spaces in every copy; it is
// refused at the API instead, so what is stored is what goes out.
test("CR or LF in a display name, the subject prefix or a list description is a 400 on every route that takes one; nothing is stored", async (t) => {
  const a = await build(t);
  assert.equal((await a.call("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await a.call("POST", "/lists", { address: "mylist@example.com", displayName: "My List" })).status, 201);
  assert.equal((await a.call("POST", "/lists/mylist.example.com/members", { address: "anne@example.com", displayName: "Anne" })).status, 201);
  for (const bad of ["Evil\r\nBcc: victim@example.org", "Evil\nX-Injected: 1", "Evil\r", "\n"]) {
    const cases: [string, string, object][] = [
      ["POST", "/lists", { address: "other@example.com", displayName: bad }],
      ["POST", "/lists", { address: "other@example.com", subjectPrefix: bad }],
      ["POST", "/lists", { address: "other@example.com", description: bad }],
      ["PATCH", "/lists/mylist.example.com", { displayName: bad }],
      ["PATCH", "/lists/mylist.example.com", { subjectPrefix: bad }],
      ["PATCH", "/lists/mylist.example.com", { description: bad }],
      ["POST", "/lists/mylist.example.com/members", { address: "bob@example.com", displayName: bad }],
      ["PATCH", "/lists/mylist.example.com/members/anne@example.com", { displayName: bad }],
      ["POST", "/lists/mylist.example.com/members/bulk", { members: [{ address: "carl@example.com" }, { address: "dora@example.com", displayName: bad }] }],
      ["POST", "/lists/mylist.example.com/subscriptions", { address: "eve@example.com", displayName: bad }],
    ];
    for (const [method, url, body] of cases) {
      const r = await a.call(method as "POST", url, body);
      assert.equal(r.status, 400, `${method} ${url} ${JSON.stringify(body)}`);
      assert.match(r.body.detail, /must be one line \(no CR or LF\)/);
    }
  }
  const list = (await a.call("GET", "/lists/mylist.example.com")).body;
  assert.deepEqual([list.displayName, list.subjectPrefix, list.description], ["My List", "[My List] ", ""]);
  assert.equal((await a.call("GET", "/lists/mylist.example.com/members/anne@example.com")).body.displayName, "Anne");
  assert.equal((await a.call("GET", "/lists/mylist.example.com/members")).body.total, 1, "nothing added, not even the bulk call's good line");
  assert.equal((await a.call("GET", "/lists")).body.total, 1);
  // Tabs and other text stay allowed.
  assert.equal((await a.call("PATCH", "/lists/mylist.example.com", { displayName: "My\tList é" })).status, 200);
});
