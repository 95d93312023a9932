// Basic auth on every operation in the OpenAPI document (other engineers' resources
// included) except the ones it marks public (`security: []`), and the credential check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build, ADMIN_PASSWORD } from "../helpers/app.js";
import { safeEqual } from "../../src/api/auth.js";

test("every non-public operation needs Basic auth", async (t) => {
  const { request } = await build(t);
  const doc = (await request({ method: "GET", url: "/openapi.json", headers: { authorization: "" } })).json();
  let checked = 0;
  for (const [path, item] of Object.entries<Record<string, { security?: unknown[] }>>(doc.paths)) {
    const url = path.replace(/\{[^}]+\}/g, (p) => (p === "{address}" ? "anne@example.com" : p === "{list}" ? "x.example.com" : "1"));
    for (const [method, op] of Object.entries(item)) {
      const open = Array.isArray(op.security) && op.security.length === 0;
      const payload = ["post", "patch", "put"].includes(method) ? {} : undefined;
      for (const authorization of ["", `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}x`).toString("base64")}`, `Basic ${Buffer.from(`root:${ADMIN_PASSWORD}`).toString("base64")}`]) {
        const r = await request({ method: method.toUpperCase() as "GET", url, payload, headers: { authorization } });
        if (open) assert.notEqual(r.statusCode, 401, `${method} ${path} is public`);
        else {
          assert.equal(r.statusCode, 401, `${method.toUpperCase()} ${path} without valid credentials`);
          assert.match(String(r.headers["www-authenticate"]), /^Basic /);
        }
      }
      checked++;
    }
  }
  assert.ok(checked >= 15, `checked ${checked} operations`);
});

test("safeEqual compares strings of any length", () => {
  assert.equal(safeEqual("secret", "secret"), true);
  assert.equal(safeEqual("secret", "secreT"), false);
  assert.equal(safeEqual("secret", "secret-but-longer"), false);
  assert.equal(safeEqual("", ""), true);
});
