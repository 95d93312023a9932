// Malformed and hostile input never crashes the LMTP server and each gets its
// proper reply: no header block (550 5.6.0 per recipient), NUL bytes and bare LF
// (stored byte for byte), 8-bit/SMTPUTF8, 10,000 recipients (452 4.5.3 past the
// cap), 100 MB against the 40 MB default (552 5.3.4 per recipient, not buffered).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { LmtpClient } from "../helpers/lmtp-client.js";
import { createList, startLmtp } from "./fixtures.js";
import type { LmtpServer } from "../../src/lmtp/server.js";

let t: TestDatabase;
let lmtp: LmtpServer;
let port: number;
before(async () => {
  t = await createTestDatabase();
  ({ lmtp, port } = await startLmtp(t.db));
  await createList(t.db, "mylist@example.com");
});
after(async () => {
  await lmtp.close();
  await t.close();
});

async function client(): Promise<LmtpClient> {
  const c = await LmtpClient.connect(port);
  await c.command("LHLO remote.example.org");
  return c;
}

/** MAIL, RCPTs, DATA, then the given bytes verbatim (the caller ends them with CRLF.CRLF). */
async function sendRaw(c: LmtpClient, to: string[], bytes: Buffer, from = "anne@example.org") {
  c.write(`MAIL FROM:<${from}>\r\n` + to.map((x) => `RCPT TO:<${x}>\r\n`).join("") + "DATA\r\n");
  for (let i = 0; i < to.length + 1; i++) assert.equal((await c.reply()).code, 250);
  assert.equal((await c.reply()).code, 354);
  c.write(bytes);
  const out = [];
  for (let i = 0; i < to.length; i++) out.push(await c.reply(120_000));
  return out;
}

async function lastRaw(): Promise<Buffer> {
  const m = await t.db.prisma.message.findFirst({ orderBy: { id: "desc" } });
  return Buffer.from(m!.raw);
}

test("no header block at all: 550 5.6.0 with the reason, once per recipient", async () => {
  const c = await client();
  for (const body of ["just some text, no headers\r\n.\r\n", ".\r\n", "\r\nbody after an empty header block\r\n.\r\n"]) {
    const replies = await sendRaw(c, ["mylist@example.com", "mylist-owner@example.com"], Buffer.from(body));
    assert.deepEqual(replies.map((r) => `${r.code} ${r.enhanced}`), ["550 5.6.0", "550 5.6.0"], body);
    assert.match(replies[0]!.text, /^Not a message: /);
  }
  await c.quit();
  assert.equal(await t.db.prisma.message.count(), 0);
});

test("NUL bytes, bare LF and 8-bit headers are stored byte for byte", async () => {
  const c = await client();
  const cases = [
    Buffer.from("Subject: nul\x00here\r\nMessage-ID: <nul@x>\r\n\r\nbody \x00 with NUL\r\n", "latin1"),
    Buffer.from("Subject: nul in id\r\nMessage-ID: <nul\x00id@x>\r\n\r\nbody\r\n", "latin1"),
    Buffer.from("Subject: bare lf\nMessage-ID: <lf@x>\n\nline one\nline two\n", "latin1"),
    Buffer.from("Subject: Grüße\r\nMessage-ID: <ü@x>\r\n\r\n8-bit body: Größe \xff\xfe\r\n", "latin1"),
  ];
  for (const raw of cases) {
    const replies = await sendRaw(c, ["mylist@example.com"], Buffer.concat([raw, Buffer.from(raw.at(-1) === 0x0a && raw.at(-2) !== 0x0d ? "\r\n.\r\n" : ".\r\n")]));
    assert.equal(replies[0]!.code, 250, raw.toString("latin1"));
    const stored = await lastRaw();
    assert.ok(stored.subarray(0, raw.length).equals(raw), `stored as received: ${JSON.stringify(stored.toString("latin1"))}`);
  }
  await c.quit();
});

test("SMTPUTF8 envelope is accepted", async () => {
  const c = await client();
  c.write("MAIL FROM:<jürgen@exämple.org> SMTPUTF8\r\n");
  assert.equal((await c.reply()).code, 250);
  c.write("RCPT TO:<mylist@example.com>\r\nDATA\r\n");
  assert.equal((await c.reply()).code, 250);
  assert.equal((await c.reply()).code, 354);
  c.write(Buffer.from("From: Jürgen <jürgen@exämple.org>\r\nSubject: utf8\r\n\r\nhi\r\n.\r\n", "utf8"));
  assert.equal((await c.reply()).code, 250);
  await c.quit();
  const m = await t.db.prisma.message.findFirst({ orderBy: { id: "desc" } });
  assert.equal(m!.mailFrom, "jürgen@exämple.org");
});

test("10,000 recipients: 452 4.5.3 past the cap of 1,000, one reply per accepted one", async () => {
  const c = await client();
  const to = Array.from({ length: 10_000 }, (_, i) => `mylist+r${i}@example.com`);
  const r = await c.send("anne@example.org", to, "Subject: many\r\nMessage-ID: <many@x>\r\n\r\nhi\r\n");
  assert.equal(r.rcpt.filter((x) => x.code === 250).length, 1000);
  assert.ok(r.rcpt.slice(1000).every((x) => x.code === 452 && x.enhanced === "4.5.3"));
  assert.equal(r.final.length, 1000);
  assert.ok(r.final.every((x) => x.code === 250));
  await c.quit();
  assert.equal(await t.db.prisma.job.count({ where: { message: { messageId: "<many@x>" } } }), 1000);
});

test("100 MB against the 40 MB limit: 552 5.3.4 per recipient, and the server goes on", async () => {
  const c = await client();
  c.write("MAIL FROM:<anne@example.org>\r\nRCPT TO:<mylist@example.com>\r\nRCPT TO:<mylist-owner@example.com>\r\nDATA\r\n");
  for (let i = 0; i < 3; i++) assert.equal((await c.reply()).code, 250);
  assert.equal((await c.reply()).code, 354);
  c.write("Subject: huge\r\nMessage-ID: <huge@x>\r\n\r\n");
  const line = Buffer.from("x".repeat(998) + "\r\n");
  const chunk = Buffer.concat(Array(1024).fill(line)); // 1 MB
  for (let i = 0; i < 100; i++) {
    if (!c.socket.write(chunk)) await new Promise((r) => c.socket.once("drain", r));
  }
  c.write(".\r\n");
  const replies = [await c.reply(120_000), await c.reply(120_000)];
  assert.deepEqual(replies.map((r) => `${r.code} ${r.enhanced}`), ["552 5.3.4", "552 5.3.4"]);
  // Same session, next transaction, still fine.
  const ok = await c.send("anne@example.org", ["mylist@example.com"], "Subject: after\r\n\r\nsmall\r\n");
  assert.equal(ok.final[0]!.code, 250);
  await c.quit();
  assert.equal(await t.db.prisma.message.count({ where: { messageId: "<huge@x>" } }), 0);
});

test("SIZE declared over the limit at MAIL is refused up front", async () => {
  const c = await client();
  const r = await c.command(`MAIL FROM:<anne@example.org> SIZE=${100 * 1024 * 1024}`);
  assert.equal(r.code, 552);
  assert.equal(r.enhanced, "5.3.4");
  await c.quit();
});

test("a client that vanishes in the middle of DATA leaves nothing behind, and the server goes on", async () => {
  const before = await t.db.prisma.message.count();
  const c = await client();
  c.write("MAIL FROM:<anne@example.org>\r\nRCPT TO:<mylist@example.com>\r\nDATA\r\n");
  for (const code of [250, 250, 354]) assert.equal((await c.reply()).code, code);
  c.write("Subject: cut\r\nMessage-ID: <cut@x>\r\n\r\nhalf a messa");
  await new Promise((r) => setTimeout(r, 50));
  c.socket.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const d = await client();
  assert.equal((await d.send("anne@example.org", ["mylist@example.com"], "Subject: next\r\n\r\nok\r\n")).final[0]!.code, 250);
  await d.quit();
  assert.equal(await t.db.prisma.message.count(), before + 1);
  assert.equal(await t.db.prisma.message.count({ where: { messageId: "<cut@x>" } }), 0);
});
