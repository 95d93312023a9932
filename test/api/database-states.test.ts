// The REST API against a real PostgreSQL server in states the shared test server
// must never be put in (a private cluster, test/helpers/private-postgres.ts). Issue
// 16: while PostgreSQL starts up it refuses connections with SQLSTATE 57P03, which
// Prisma wraps; that was a 500, and must be a 503 with Retry-After.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { openDatabase } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { createServices } from "../../src/services/index.js";
import { NO_MAPS } from "../../src/mta/updater.js";
import { buildApp } from "../../src/api/app.js";
import { startPrivatePostgres } from "../helpers/private-postgres.js";
import { ADMIN_PASSWORD, ADMIN_USER, AUTH } from "../helpers/app.js";

test("a database in recovery (57P03, the state of a server starting up) gives 503 problem+json with Retry-After, and service resumes after", { timeout: 180_000 }, async (t) => {
  const server = await startPrivatePostgres();
  t.after(() => server.stop());
  const db = await openDatabase({ url: server.url });
  t.after(() => db.close());
  await migrate(db);
  const config = loadConfig({ MAILROOM_VAR_DIR: "/nonexistent-test-var", MAILROOM_ADMIN_USER: ADMIN_USER });
  const log = createLogger("silent");
  const app = await buildApp({ services: createServices({ db, config, log, maps: NO_MAPS }), config, adminPassword: ADMIN_PASSWORD, log });
  t.after(() => app.close());
  const call = (method: "GET" | "POST", url: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: AUTH }, ...(payload ? { payload } : {}) });

  assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).statusCode, 201);
  assert.equal((await call("POST", "/lists", { address: "mylist@example.com" })).statusCode, 201);

  await server.restartInRecovery();
  for (const [method, url, payload] of [
    ["GET", "/domains"], ["GET", "/lists"], ["POST", "/domains", { mailHost: "example.org" }], ["GET", "/lists/mylist.example.com/members"],
  ] as const) {
    const r = await call(method, url, payload);
    assert.equal(r.statusCode, 503, `${method} ${url}: ${r.body}`);
    assert.match(String(r.headers["content-type"]), /^application\/problem\+json/);
    assert.equal(r.json().code, "database-unavailable");
    assert.match(String(r.headers["retry-after"]), /^\d+$/);
  }

  await server.promote();
  // pg_ctl promote returns once the control file says "in production"; the
  // postmaster may take a moment more to accept connections (seen under CI load:
  // one more 503). A client honours Retry-After, so the test does too, within bounds.
  let back = await call("GET", "/lists");
  for (const deadline = Date.now() + 15_000; back.statusCode === 503 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 200));
    back = await call("GET", "/lists");
  }
  assert.equal(back.statusCode, 200, back.body);
  assert.equal(back.json().total, 1);
});
