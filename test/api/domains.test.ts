// /domains over inject: create, list, read, patch, delete with its lists, and the
// 400/401/404/409 answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";

test("domains API", async (t) => {
  const { call, request } = await build(t);

  await t.test("creates a domain, normalising the mail host", async () => {
    const r = await call("POST", "/domains", { mailHost: " Example.COM. ", description: "Examples" });
    assert.equal(r.status, 201);
    assert.equal(r.headers.location, "/domains/example.com");
    assert.deepEqual({ ...r.body, createdAt: undefined }, { mailHost: "example.com", description: "Examples", aliasDomain: null, createdAt: undefined });
    assert.ok(!Number.isNaN(Date.parse(r.body.createdAt)));
  });

  await t.test("409 when it exists", async () => {
    const r = await call("POST", "/domains", { mailHost: "EXAMPLE.com" });
    assert.equal(r.status, 409);
    assert.equal(r.body.type, "urn:mailroom:problem:conflict");
  });

  await t.test("400 for a bad host, a missing host, an unknown field or malformed JSON", async () => {
    for (const body of [{ mailHost: "not a host" }, { mailHost: "nodot" }, {}, { mailHost: "a.com", extra: 1 }, { mailHost: "a.com", aliasDomain: "a.com" }]) {
      const r = await call("POST", "/domains", body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.headers["content-type"] as string, /^application\/problem\+json/);
    }
    const bad = await request({ method: "POST", url: "/domains", headers: { "content-type": "application/json" }, payload: "{\"mailHost\":" });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().status, 400);
  });

  await t.test("lists and reads domains", async () => {
    await call("POST", "/domains", { mailHost: "b.example.org", aliasDomain: "lists.example.net" });
    const all = await call("GET", "/domains");
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.items.map((d: { mailHost: string }) => d.mailHost), ["b.example.org", "example.com"]);
    assert.equal(all.body.total, 2);
    const one = await call("GET", "/domains/B.Example.org");
    assert.equal(one.body.aliasDomain, "lists.example.net");
    assert.equal((await call("GET", "/domains/nope.example.com")).status, 404);
    assert.equal((await call("GET", "/domains/not%20a%20host")).status, 404);
  });

  await t.test("patches description and alias domain", async () => {
    const r = await call("PATCH", "/domains/b.example.org", { aliasDomain: null, description: "B" });
    assert.equal(r.status, 200);
    assert.equal(r.body.aliasDomain, null);
    assert.equal(r.body.description, "B");
    assert.equal((await call("PATCH", "/domains/b.example.org", { mailHost: "c.org" })).status, 400);
    assert.equal((await call("PATCH", "/domains/nope.example.org", { description: "x" })).status, 404);
  });

  await t.test("deleting a domain deletes its lists", async () => {
    assert.equal((await call("POST", "/lists", { address: "gone@b.example.org" })).status, 201);
    assert.equal((await call("DELETE", "/domains/b.example.org")).status, 204);
    assert.equal((await call("GET", "/lists/gone.b.example.org")).status, 404);
    assert.equal((await call("DELETE", "/domains/b.example.org")).status, 404);
  });

  await t.test("401 without or with wrong credentials, with a Basic challenge", async () => {
    for (const authorization of ["", "Basic " + Buffer.from("admin:wrong").toString("base64"), "Bearer x"]) {
      const r = await request({ method: "GET", url: "/domains", headers: { authorization } });
      assert.equal(r.statusCode, 401);
      assert.match(String(r.headers["www-authenticate"]), /^Basic realm="mailroom"/);
      assert.match(String(r.headers["content-type"]), /^application\/problem\+json/);
      assert.equal(r.json().status, 401);
    }
    const post = await request({ method: "POST", url: "/domains", headers: { authorization: "" }, payload: { mailHost: "x.org" } });
    assert.equal(post.statusCode, 401);
  });
});
