// Two `mailroom serve` processes on one PostgreSQL database: a list created over
// REST on A is accepted at the very next RCPT on B, and refused right after it is
// deleted on A (B's cache is invalidated through LISTEN/NOTIFY). The embedded
// database is single-process by design, so this test needs DATABASE_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase, SERVER_URL } from "../helpers/db.js";
import { LmtpClient } from "../helpers/lmtp-client.js";
import { adminRequest, startServer, type ServerProcess } from "../helpers/server-process.js";

async function rest(p: ServerProcess, method: string, path: string, body?: object): Promise<number> {
  return (await adminRequest(p.httpPort, method, path, body)).status;
}

test("a REST change on process A is in force at the next RCPT on process B", { skip: !SERVER_URL && "needs DATABASE_URL (PostgreSQL)" }, async () => {
  const t = await createTestDatabase();
  const env = { DATABASE_URL: t.url!, MAILROOM_WORKERS: "0" };
  const [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
  try {
    const c = await LmtpClient.connect(b.lmtpPort);
    await c.command("LHLO remote.example.org");
    const rcpt = async (to: string) => {
      await c.command("RSET");
      assert.equal((await c.command("MAIL FROM:<anne@example.org>")).code, 250);
      return (await c.command(`RCPT TO:<${to}>`)).code;
    };
    assert.equal(await rcpt("shared@example.com"), 550);
    assert.equal(await rest(a, "POST", "/domains", { mailHost: "example.com" }), 201);
    assert.equal(await rest(a, "POST", "/lists", { address: "shared@example.com" }), 201);
    assert.equal(await rcpt("shared@example.com"), 250);
    assert.equal(await rcpt("shared-bounces+x=example.org@example.com"), 250);
    assert.equal(await rest(a, "DELETE", "/lists/shared.example.com"), 204);
    assert.equal(await rcpt("shared@example.com"), 550);
    assert.equal(await rcpt("shared-bounces+x=example.org@example.com"), 550);
    // And back: created again on A, B takes it at once.
    assert.equal(await rest(a, "POST", "/lists", { address: "shared@example.com" }), 201);
    assert.equal(await rcpt("shared-request@example.com"), 250);
    // A domain deletion (which takes its lists) is seen too.
    assert.equal(await rest(a, "DELETE", "/domains/example.com"), 204);
    assert.equal(await rcpt("shared-request@example.com"), 550);
    await c.quit();
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await t.close();
  }
});
