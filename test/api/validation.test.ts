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
