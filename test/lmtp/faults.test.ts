// Faults with real parts: the database going away under a live session (451, and
// the client's retry succeeds once it is back), graceful shutdown finishing the
// transaction in flight, and kill -9 of `mailroom serve` right after a 250.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openDatabase, type Database } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { adminUrl, createTestDatabase, SERVER_URL } from "../helpers/db.js";
import { LmtpClient, dotStuff } from "../helpers/lmtp-client.js";
import { startServer } from "../helpers/server-process.js";
import { createList, message, startLmtp } from "./fixtures.js";

const post = (id: string) => message({ From: "anne@example.org", To: "mylist@example.com", Subject: "x", "Message-ID": id });

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: await adminUrl() });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
}

test("database stopped mid-session: 451 4.3.0 per recipient, the retry succeeds once it is back", async () => {
  // On DATABASE_URL's server or the test process's own cluster.
  const t = await createTestDatabase();
  const db = t.db;
  const name = new URL(t.url).pathname.slice(1);
  // A real outage: no new connections, and every existing backend killed.
  const stop = async () => {
    await adminQuery(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
  };
  const restart = async () => { await adminQuery(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`); };
  const cleanup = () => t.close();
  await createList(db, "mylist@example.com");
  const { lmtp, port } = await startLmtp(db);
  try {
    const c = await LmtpClient.connect(port);
    await c.command("LHLO remote.example.org");
    const before = await c.send("anne@example.org", ["mylist@example.com", "mylist-owner@example.com"], post("<before@x>"));
    assert.deepEqual(before.final.map((r) => r.code), [250, 250]);

    // RCPTs decided while the database is up; it goes away before DATA.
    assert.equal((await c.command("MAIL FROM:<anne@example.org>")).code, 250);
    assert.equal((await c.command("RCPT TO:<mylist@example.com>")).code, 250);
    assert.equal((await c.command("RCPT TO:<mylist-owner@example.com>")).code, 250);
    await stop();
    assert.equal((await c.command("DATA")).code, 354);
    c.write(Buffer.concat([dotStuff(post("<during@x>")), Buffer.from(".\r\n")]));
    const down = [await c.reply(), await c.reply()];
    assert.deepEqual(down.map((r) => `${r.code} ${r.enhanced}`), ["451 4.3.0", "451 4.3.0"], "never 250 for what was not committed");
    // While it is down, a recipient cannot be decided: temporary, not 550.
    const undecided = await c.send("anne@example.org", ["mylist@example.com", "otherlist@example.com"], post("<during2@x>"));
    assert.deepEqual(undecided.rcpt.map((r) => `${r.code} ${r.enhanced}`), ["451 4.3.0", "451 4.3.0"]);

    await restart();
    // The client (Postfix) retries later, on the same or a new session.
    let retry = await c.send("anne@example.org", ["mylist@example.com", "mylist-owner@example.com"], post("<during@x>"));
    for (let i = 0; i < 20 && retry.final[0]?.code !== 250; i++) {
      await new Promise((r) => setTimeout(r, 250));
      retry = await c.send("anne@example.org", ["mylist@example.com", "mylist-owner@example.com"], post("<during@x>"));
    }
    assert.deepEqual(retry.final.map((r) => r.code), [250, 250]);
    await c.quit();
    const ids = (await db.prisma.message.findMany({ orderBy: { id: "asc" } })).map((m) => m.messageId);
    assert.deepEqual(ids, ["<before@x>", "<during@x>"], "nothing half-stored by the failed attempts");
  } finally {
    await lmtp.close();
    await cleanup();
  }
});

test("graceful close: the transaction in flight is stored and answered, idle sessions get 421", async () => {
  const t = await createTestDatabase();
  await createList(t.db, "mylist@example.com");
  const { lmtp, port } = await startLmtp(t.db);
  try {
    const idle = await LmtpClient.connect(port);
    await idle.command("LHLO idle.example.org");
    const busy = await LmtpClient.connect(port);
    await busy.command("LHLO busy.example.org");
    busy.write("MAIL FROM:<anne@example.org>\r\nRCPT TO:<mylist@example.com>\r\nDATA\r\n");
    for (const code of [250, 250, 354]) assert.equal((await busy.reply()).code, code);
    busy.write("Subject: in flight\r\nMessage-ID: <flight@x>\r\n\r\nfirst half\r\n");

    const closed = lmtp.close();
    const bye = await idle.reply();
    assert.deepEqual([bye.code, bye.enhanced], [421, "4.3.2"]);

    busy.write("second half\r\n.\r\n");
    const done = await busy.reply();
    assert.equal(done.code, 250);
    assert.equal((await busy.reply()).code, 421);
    await closed;
    assert.equal(await t.db.prisma.message.count({ where: { messageId: "<flight@x>" } }), 1);
    idle.socket.destroy();
    busy.socket.destroy();
  } finally {
    await t.close();
  }
});

test("kill -9 right after a 250 loses nothing: the message and its jobs are there after restart", async () => {
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-var-"));
  let open: () => Promise<Database>;
  let cleanup = async () => {};
  const env: Record<string, string> = { MAILROOM_WORKERS: "0" };
  if (SERVER_URL) {
    const t = await createTestDatabase();
    env.DATABASE_URL = t.url!;
    await createList(t.db, "mylist@example.com");
    open = async () => t.db;
    cleanup = () => t.close();
  } else {
    // The embedded database belongs to the server process: set it up before, read it after.
    const dir = join(varDir, "db");
    const db = await openDatabase({ url: null, dataDir: dir });
    await migrate(db);
    await createList(db, "mylist@example.com");
    await db.close();
    open = () => openDatabase({ url: null, dataDir: dir });
  }
  const server = await startServer({ varDir, env });
  let db: Database | null = null;
  try {
    const c = await LmtpClient.connect(server.lmtpPort);
    await c.command("LHLO remote.example.org");
    const r = await c.send("anne@example.org", ["mylist@example.com", "mylist-bounces+bob=example.net@example.com"], post("<kill9@x>"));
    assert.equal(r.final[0]!.code, 250);
    assert.equal(r.final[1]!.code, 250);
    await server.kill9();
    c.socket.destroy();

    db = await open();
    const m = await db.prisma.message.findFirst({ where: { messageId: "<kill9@x>" }, include: { jobs: { orderBy: { id: "asc" } } } });
    assert.ok(m, "message survived kill -9");
    assert.deepEqual(m.jobs.map((j) => [j.queue, j.recipient]), [
      ["list", "mylist@example.com"], ["bounces", "mylist-bounces+bob=example.net@example.com"],
    ]);
  } finally {
    await server.kill9();
    if (db && !SERVER_URL) await db.close();
    await cleanup();
  }
});

test("idle timeout: a silent session gets 421 and is closed", async () => {
  const t = await createTestDatabase();
  const { lmtp, port } = await startLmtp(t.db, { MAILROOM_LMTP_IDLE_TIMEOUT: "1" });
  try {
    const c = await LmtpClient.connect(port);
    await c.command("LHLO remote.example.org");
    const bye = await c.reply(10_000);
    assert.equal(bye.code, 421);
    assert.ok(bye.enhanced?.startsWith("4."), `coded: ${bye.lines}`);
    c.socket.destroy();
  } finally {
    await lmtp.close();
    await t.close();
  }
});
