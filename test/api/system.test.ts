// Health, queues and the error edge: problem+json for unknown routes, bad bodies and
// media types, never a 500 for bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";

test("system routes and error handling", async (t) => {
  const { call, request } = await build(t);

  await t.test("/health answers without credentials", async () => {
    const r = await request({ method: "GET", url: "/health", headers: { authorization: "" } });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { status: "ok" });
  });

  await t.test("/queues lists every queue with its depth", async () => {
    const r = await call("GET", "/queues");
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.items.map((q: { name: string }) => q.name), ["list", "command", "bounces", "owner", "out", "archive", "shunt"]);
    assert.ok(r.body.items.every((q: { depth: number; oldestAgeSeconds: number | null }) => q.depth === 0 && q.oldestAgeSeconds === null));
    const anon = await request({ method: "GET", url: "/queues", headers: { authorization: "" } });
    assert.equal(anon.statusCode, 401);
  });

  await t.test("an unknown route is a 404 problem", async () => {
    const r = await call("GET", "/no/such/thing");
    assert.equal(r.status, 404);
    assert.match(r.headers["content-type"] as string, /^application\/problem\+json/);
    assert.deepEqual(Object.keys(r.body).sort(), ["code", "detail", "status", "title", "type"]);
  });

  await t.test("bad input is a 4xx problem, never a 500", async () => {
    const cases: { method: "POST" | "GET" | "PATCH"; url: string; payload?: string; type?: string; status: number }[] = [
      { method: "POST", url: "/domains", payload: "{not json", type: "application/json", status: 400 },
      { method: "POST", url: "/domains", payload: "", type: "application/json", status: 400 },
      { method: "POST", url: "/domains", payload: "[]", type: "application/json", status: 400 },
      { method: "POST", url: "/domains", payload: "null", type: "application/json", status: 400 },
      { method: "POST", url: "/domains", payload: "mailHost=example.com", type: "application/x-www-form-urlencoded", status: 415 },
      { method: "POST", url: "/domains", payload: "{\"__proto__\":{\"x\":1},\"mailHost\":\"a.com\"}", type: "application/json", status: 400 },
      { method: "GET", url: "/lists/%E0%A4%A", status: 400 },
      { method: "GET", url: "/lists?limit=99999999999999999999", status: 400 },
      { method: "PATCH", url: "/lists/x.example.com", payload: "{\"maxMessageSize\": 1e400}", type: "application/json", status: 400 },
    ];
    for (const c of cases) {
      const r = await request({ method: c.method, url: c.url, payload: c.payload, headers: c.type ? { "content-type": c.type } : {} });
      assert.equal(r.statusCode, c.status, `${c.method} ${c.url} ${c.payload ?? ""}: ${r.body}`);
      assert.match(String(r.headers["content-type"]), /^application\/problem\+json/, `${c.method} ${c.url}`);
    }
  });

  await t.test("a NUL character anywhere is a 400 (PostgreSQL cannot store it)", async () => {
    assert.equal((await call("POST", "/domains", { mailHost: "nul.example.com" })).status, 201);
    assert.equal((await call("POST", "/lists", { address: "nul@nul.example.com" })).status, 201);
    const cases: [("POST" | "PATCH" | "GET"), string, unknown?][] = [
      ["POST", "/domains", { mailHost: "x.example.com", description: "a\u0000b" }],
      ["PATCH", "/lists/nul.nul.example.com", { msgFooter: "x\u0000" }],
      ["POST", "/lists/nul.nul.example.com/members", { address: "a@example.com", displayName: "\u0000" }],
      ["POST", "/lists/nul.nul.example.com/members/bulk", { members: [{ address: "b@example.com", displayName: "x\u0000" }] }],
      ["GET", "/lists/a%00b"],
      ["GET", "/lists/nul.nul.example.com/members/a%00@example.com"],
      ["GET", "/lists?domain=a%00"],
    ];
    for (const [method, url, body] of cases) {
      const r = await call(method, url, body);
      assert.equal(r.status, 400, `${method} ${url}`);
      assert.match(r.body.detail, /NUL/);
    }
  });
});
