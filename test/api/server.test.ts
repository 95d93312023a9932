// The real `mailroom serve` process, over real HTTP: the listening lines name the
// service and port, a generated admin password is stored mode 0600 and works, and
// the API answers as it does in-process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { startServer } from "../helpers/server-process.js";
import { childDatabaseUrl } from "../helpers/db.js";

test("mailroom serve answers the REST API over HTTP", async (t) => {
  const server = await startServer({ env: { MAILROOM_ADMIN_PASSWORD: undefined, DATABASE_URL: await childDatabaseUrl(t) } });
  t.after(() => server.kill9());
  const base = `http://127.0.0.1:${server.httpPort}`;

  await t.test("logs one listening line per listener with service and port", () => {
    const lines = server.logs.filter((l) => l.msg === "listening");
    for (const service of ["http", "lmtp"]) {
      const line = lines.find((l) => l.service === service);
      assert.ok(line, `listening line for ${service}`);
      assert.equal(typeof line.port, "number");
      assert.ok((line.port as number) > 0);
    }
  });

  const passwordFile = join(server.varDir, "admin-password");
  await t.test("generates the admin password into a mode 0600 file and logs only its path", async () => {
    assert.equal((await stat(passwordFile)).mode & 0o777, 0o600);
    const password = (await readFile(passwordFile, "utf8")).trim();
    assert.ok(password.length >= 16);
    assert.ok(!server.logs.some((l) => JSON.stringify(l).includes(password)), "the password is never logged");
    assert.ok(server.logs.some((l) => l.path === passwordFile));
  });

  await t.test("serves the API with Basic auth", async () => {
    const password = (await readFile(passwordFile, "utf8")).trim();
    const auth = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString("base64")}` };
    const json = { ...auth, "content-type": "application/json" };
    assert.deepEqual(await (await fetch(`${base}/health`)).json(), { status: "ok" });
    const anon = await fetch(`${base}/lists`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get("www-authenticate") ?? "", /^Basic/);
    assert.equal((await fetch(`${base}/domains`, { method: "POST", headers: json, body: JSON.stringify({ mailHost: "example.com" }) })).status, 201);
    const created = await fetch(`${base}/lists`, { method: "POST", headers: json, body: JSON.stringify({ address: "ants@example.com" }) });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("location"), "/lists/ants.example.com");
    const got = await fetch(`${base}/lists/ants@example.com`, { headers: auth });
    assert.equal((await got.json()).displayName, "Ants");
    const bad = await fetch(`${base}/lists`, { method: "POST", headers: json, body: "{" });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get("content-type"), "application/problem+json; charset=utf-8");
  });

  await t.test("stops cleanly on SIGTERM", async () => {
    assert.equal(await server.stop(), 0);
  });
});
