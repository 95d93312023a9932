// No archive post is lost to a crash: with HyperKitty down, posts are delivered and
// their archive jobs wait; `mailroom serve` is killed with -9 and started again on the
// same database, HyperKitty comes back, and every post arrives there once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childDatabaseUrl } from "../helpers/db.js";
import { LmtpClient } from "../helpers/lmtp-client.js";
import { startHyperKittyStandIn } from "../helpers/hyperkitty-standin.js";
import { adminRequest, startServer, type ServerProcess } from "../helpers/server-process.js";
import { startSmtpSink } from "../helpers/smtp-sink.js";

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("kill -9 with archive jobs waiting, restart: each post reaches HyperKitty once", async (t) => {
  const sink = await startSmtpSink();
  t.after(() => sink.close());
  const hk = await startHyperKittyStandIn();
  t.after(() => hk.close());
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-archive-crash-"));
  const env = {
    DATABASE_URL: await childDatabaseUrl(t),
    MAILROOM_SMTP_PORT: String(sink.port),
    MAILROOM_HYPERKITTY_URL: hk.url,
    MAILROOM_HYPERKITTY_API_KEY: hk.key,
    MAILROOM_ARCHIVE_RETRY_MAX: "1",
  };
  const depth = async (s: ServerProcess, name: string) =>
    ((await adminRequest(s.httpPort, "GET", "/queues")).body.items as { name: string; depth: number }[]).find((q) => q.name === name)!.depth;

  const first = await startServer({ varDir, env, timeoutMs: 120_000 });
  const ids = ["k1", "k2", "k3"];
  try {
    assert.equal((await adminRequest(first.httpPort, "POST", "/domains", { mailHost: "example.com" })).status, 201);
    assert.equal((await adminRequest(first.httpPort, "POST", "/lists", { address: "test@example.com" })).status, 201);
    assert.equal((await adminRequest(first.httpPort, "POST", "/lists/test.example.com/members", { address: "anne@example.com" })).status, 201);
    await hk.down();
    const c = await LmtpClient.connect(first.lmtpPort);
    await c.command("LHLO test");
    for (const id of ids) {
      const r = await c.send("anne@example.com", ["test@example.com"],
        ["From: anne@example.com", "To: test@example.com", `Subject: ${id}`, `Message-ID: <${id}@example.com>`, "", "Hello.", ""].join("\r\n"));
      assert.deepEqual(r.final.map((f) => f.code), [250]);
    }
    await c.quit();
    await until("the members' copies", () => sink.messages.length === ids.length);
    await until("three waiting archive jobs", async () => (await depth(first, "archive")) === 3 && (await depth(first, "list")) === 0);
  } finally {
    await first.kill9();
  }
  await hk.up();
  const second = await startServer({ varDir, env, timeoutMs: 120_000 });
  try {
    await until("the archive queue to drain", async () => (await depth(second, "archive")) === 0);
    assert.equal(await depth(second, "shunt"), 0);
  } finally {
    await second.stop();
  }
  for (const id of ids) assert.equal(hk.posts.filter((p) => p.messageId === `<${id}@example.com>`).length, 1, `${id} archived once`);
  assert.equal(hk.posts.length, ids.length);
  assert.equal(sink.messages.length, ids.length, "delivered once each, before and after the crash");
});
