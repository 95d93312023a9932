// The OpenAPI document: served without credentials, identical to the committed
// openapi/openapi.json (run `npm run openapi:write` after changing a route), and
// every operation documented well enough for a generated client.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { build } from "../helpers/app.js";
import { OPENAPI_FILE } from "../../scripts/export-openapi.js";

test("OpenAPI document", async (t) => {
  const { request } = await build(t);
  const res = await request({ method: "GET", url: "/openapi.json", headers: { authorization: "" } });
  assert.equal(res.statusCode, 200);
  const served = res.json();

  await t.test("the committed openapi/openapi.json matches the served document", async () => {
    const committed = JSON.parse(await readFile(OPENAPI_FILE, "utf8"));
    assert.deepEqual(committed, served, "openapi/openapi.json is stale: run `npm run openapi:write` and commit it");
  });

  await t.test("is OpenAPI 3.1 with Basic auth as the default security", () => {
    assert.equal(served.openapi, "3.1.0");
    assert.deepEqual(served.security, [{ basicAuth: [] }]);
    assert.equal(served.components.securitySchemes.basicAuth.scheme, "basic");
  });

  await t.test("every operation has an operationId, summary, description, tags and documented responses", () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries<Record<string, any>>(served.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(op.operationId, `${where} operationId`);
        assert.ok(!ids.has(op.operationId), `${where} operationId unique`);
        ids.add(op.operationId);
        assert.ok(op.summary, `${where} summary`);
        assert.ok(op.description, `${where} description`);
        assert.ok(op.tags?.length, `${where} tags`);
        for (const [status, r] of Object.entries<any>(op.responses)) {
          assert.notEqual(r.description, "Default Response", `${where} ${status} description`);
        }
        const body = op.requestBody?.content?.["application/json"];
        if (body) assert.ok(body.examples || body.example || body.schema.examples, `${where} body example`);
      }
    }
    for (const id of ["createDomain", "createList", "getList", "updateList", "addMember", "bulkAddMembers", "getQueues", "getHealth"]) {
      assert.ok(ids.has(id), id);
    }
  });

  await t.test("/health is public; the rest need credentials", () => {
    assert.deepEqual(served.paths["/health"].get.security, []);
    assert.equal(served.paths["/lists"].post.security, undefined);
  });

  await t.test("/docs is browsable without credentials", async () => {
    const docs = await request({ method: "GET", url: "/docs/", headers: { authorization: "" } });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.headers["content-type"] as string, /text\/html/);
  });
});
