// LMTP behaviour through a real client on a real connection: LHLO and codes,
// per-recipient replies after DATA, sub-addresses, VERP and +tokens, case, list
// deletion at the next RCPT, what is stored, sessions (RSET, several transactions,
// pipelining, recipient cap, many connections at once).
import { test, after, before, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { LmtpClient, PythonLmtp } from "../helpers/lmtp-client.js";
import { createList, deleteList, message, startLmtp } from "./fixtures.js";
import type { LmtpServer } from "../../src/lmtp/server.js";
import { messageIdHash } from "../../src/domain/message-id.js";

let t: TestDatabase;
let lmtp: LmtpServer;
let port: number;
before(async () => {
  t = await createTestDatabase();
  ({ lmtp, port } = await startLmtp(t.db, { MAILROOM_LMTP_MAX_RECIPIENTS: "5", MAILROOM_MAX_MESSAGE_SIZE: "1048576" }));
});
beforeEach(async () => {
  await t.reset();
  await t.db.prisma.$executeRaw`SELECT pg_notify('mailroom_lists', '*')`;
  await createList(t.db, "mylist@example.com");
});
after(async () => {
  await lmtp.close();
  await t.close();
});

const simple = (id = "<m1@example.org>") => message({ From: "anne@example.org", To: "mylist@example.com", Subject: "Hi", "Message-ID": id });

async function client(): Promise<LmtpClient> {
  const c = await LmtpClient.connect(port);
  await c.command("LHLO remote.example.org");
  return c;
}

test("greeting names mailroom; LHLO advertises the contract's extensions", async () => {
  const c = await LmtpClient.connect(port);
  assert.equal(c.greeting.code, 220);
  assert.match(c.greeting.text, /mailroom/);
  const lhlo = await c.command("LHLO remote.example.org");
  assert.equal(lhlo.code, 250);
  const ext = lhlo.lines.slice(1).map((l) => l.slice(4));
  for (const e of ["PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "SIZE 1048576"]) assert.ok(ext.includes(e), `${e} in ${ext}`);
  await c.quit();
});

test("good and bad recipients in one transaction: a reply per recipient, jobs for the good ones", async () => {
  const c = await client();
  const r = await c.send("anne@example.org",
    ["mylist@example.com", "nolist@example.com", "mylist-bounces@example.com", "mylist-owner@example.com", "mylist-join@example.com", "mylist-bogus@example.com"],
    simple());
  assert.equal(r.mail.code, 250);
  assert.equal(r.mail.enhanced, "2.1.0");
  assert.deepEqual(r.rcpt.map((x) => `${x.code} ${x.enhanced}`), ["250 2.1.5", "550 5.1.1", "250 2.1.5", "250 2.1.5", "250 2.1.5", "550 5.1.1"]);
  assert.equal(r.rcpt[1]!.text, "Requested action not taken: mailbox unavailable");
  assert.equal(r.final.length, 4);
  for (const f of r.final) assert.deepEqual([f.code, f.enhanced], [250, "2.0.0"]);
  await c.quit();

  const msgs = await t.db.prisma.message.findMany({ include: { jobs: { orderBy: { id: "asc" } } } });
  assert.equal(msgs.length, 1, "one Message row shared by the jobs");
  const m = msgs[0]!;
  assert.equal(m.mailFrom, "anne@example.org");
  assert.deepEqual(m.rcptTo, ["mylist@example.com", "mylist-bounces@example.com", "mylist-owner@example.com", "mylist-join@example.com"]);
  assert.equal(m.messageId, "<m1@example.org>");
  assert.equal(m.messageIdHash, messageIdHash("<m1@example.org>"));
  assert.equal(Buffer.from(m.raw).toString(), simple().replace(/\n/g, "\r\n"));
  assert.equal(m.size, m.raw.length);
  assert.deepEqual(m.jobs.map((j) => [j.queue, j.listId, j.recipient, j.data]), [
    ["list", "mylist.example.com", "mylist@example.com", { subaddress: null, extension: null }],
    ["bounces", "mylist.example.com", "mylist-bounces@example.com", { subaddress: "bounces", extension: null }],
    ["owner", "mylist.example.com", "mylist-owner@example.com", { subaddress: "owner", extension: null }],
    ["command", "mylist.example.com", "mylist-join@example.com", { subaddress: "join", extension: null }],
  ]);
});

test("every sub-address goes to its queue", async () => {
  const subs = { request: "command", join: "command", leave: "command", subscribe: "command", unsubscribe: "command", confirm: "command", bounces: "bounces", owner: "owner" };
  const c = await client();
  const to = Object.keys(subs).map((s) => `mylist-${s}@example.com`);
  // Two transactions: this server caps a transaction at 5 recipients.
  for (const part of [to.slice(0, 4), to.slice(4)]) {
    const r = await c.send("anne@example.org", part, simple());
    assert.deepEqual(r.final.map((f) => f.code), part.map(() => 250));
  }
  await c.quit();
  const jobs = await t.db.prisma.job.findMany({ orderBy: { id: "asc" } });
  assert.deepEqual(jobs.map((j) => j.queue), Object.values(subs));
});

test("VERP and +token addresses; the local part is case-insensitive, the extension keeps its case", async () => {
  const c = await client();
  const to = ["mylist-bounces+anne=example.org@example.com", "mylist-confirm+AbC123@example.com", "MyList@Example.COM", "MYLIST-Request@example.com", "mylist+tag@example.com"];
  const r = await c.send("", to, simple());
  assert.deepEqual(r.rcpt.map((x) => x.code), [250, 250, 250, 250, 250]);
  assert.deepEqual(r.final.map((x) => x.code), [250, 250, 250, 250, 250]);
  await c.quit();
  const jobs = await t.db.prisma.job.findMany({ orderBy: { id: "asc" }, include: { message: true } });
  assert.deepEqual(jobs.map((j) => [j.queue, j.recipient, j.data]), [
    ["bounces", "mylist-bounces+anne=example.org@example.com", { subaddress: "bounces", extension: "anne=example.org" }],
    ["command", "mylist-confirm+AbC123@example.com", { subaddress: "confirm", extension: "AbC123" }],
    ["list", "MyList@Example.COM", { subaddress: null, extension: null }],
    ["command", "MYLIST-Request@example.com", { subaddress: "request", extension: null }],
    ["list", "mylist+tag@example.com", { subaddress: null, extension: "tag" }],
  ]);
  assert.equal(jobs[0]!.message!.mailFrom, "", "null sender stored as empty string");
});

test("a deleted list is refused at the next RCPT, a new one accepted at once", async () => {
  const c = await client();
  assert.equal((await c.send("anne@example.org", ["mylist@example.com"], simple())).final[0]!.code, 250);
  await deleteList(t.db, "mylist.example.com");
  await createList(t.db, "other@example.com");
  const r = await c.send("anne@example.org", ["mylist@example.com", "other-leave@example.com"], simple());
  assert.deepEqual(r.rcpt.map((x) => x.code), [550, 250]);
  await c.quit();
});

test("a list whose name ends in a sub-address word wins over the shorter list's sub-address", async () => {
  const c = await client();
  await c.send("anne@example.org", ["mylist-request@example.com"], simple());
  // Decided at the next RCPT on the same connection: no cache to wait out.
  await createList(t.db, "mylist-request@example.com");
  await c.send("anne@example.org", ["mylist-request@example.com"], simple());
  await c.quit();
  const jobs = await t.db.prisma.job.findMany({ orderBy: { id: "asc" } });
  assert.deepEqual(jobs.map((j) => [j.queue, j.listId]), [["command", "mylist.example.com"], ["list", "mylist-request.example.com"]]);
});

test("a message without Message-ID gets one, hashed as Mailman does", async () => {
  const c = await client();
  const raw = message({ From: "anne@example.org", Subject: "no id" });
  const r = await c.send("anne@example.org", ["mylist@example.com"], raw);
  assert.equal(r.final[0]!.code, 250);
  await c.quit();
  const m = (await t.db.prisma.message.findFirst())!;
  assert.match(m.messageId, /^<[^<>@\s]+@example\.com>$/);
  const bare = m.messageId.slice(1, -1);
  const b32 = base32(createHash("sha1").update(bare).digest());
  assert.equal(m.messageIdHash, b32);
  assert.equal(Buffer.from(m.raw).toString(), raw.replace(/\n/g, "\r\n"), "raw bytes untouched");
});

test("RSET and several transactions on one connection, pipelined", async () => {
  const c = await client();
  c.write("MAIL FROM:<a@example.org>\r\nRCPT TO:<mylist@example.com>\r\nRSET\r\nMAIL FROM:<b@example.org>\r\nRCPT TO:<mylist-owner@example.com>\r\nDATA\r\n");
  const replies = [];
  for (let i = 0; i < 6; i++) replies.push(await c.reply());
  assert.deepEqual(replies.map((r) => r.code), [250, 250, 250, 250, 250, 354]);
  assert.ok(replies.every((r) => r.code === 354 || r.enhanced), "every reply but 354 has an RFC 3463 code");
  c.write("Subject: x\r\nMessage-ID: <p@x>\r\n\r\nbody\r\n.\r\n");
  assert.equal((await c.reply()).code, 250);
  for (let i = 0; i < 3; i++) assert.equal((await c.send("c@example.org", ["mylist@example.com"], simple(`<n${i}@x>`))).final[0]!.code, 250);
  await c.quit();
  const jobs = await t.db.prisma.job.findMany({ orderBy: { id: "asc" }, include: { message: true } });
  assert.deepEqual(jobs.map((j) => [j.queue, j.message!.mailFrom]), [["owner", "b@example.org"], ["list", "c@example.org"], ["list", "c@example.org"], ["list", "c@example.org"]]);
});

test("recipients beyond the cap get 452 4.5.3; the accepted ones each get a reply", async () => {
  const c = await client();
  const to = Array.from({ length: 8 }, (_, i) => `mylist+${i}@example.com`);
  const r = await c.send("anne@example.org", to, simple());
  assert.deepEqual(r.rcpt.map((x) => `${x.code} ${x.enhanced}`), [...Array(5).fill("250 2.1.5"), ...Array(3).fill("452 4.5.3")]);
  assert.equal(r.final.length, 5);
  await c.quit();
});

test("unknown commands and bad sequences get coded replies and the session goes on", async () => {
  const c = await client();
  for (const [cmd, code] of [["FOO", 500], ["RCPT TO:<mylist@example.com>", 503], ["DATA", 503], ["MAIL FROM:<bad", 501], ["NOOP", 250]] as const) {
    const r = await c.command(cmd);
    assert.equal(r.code, code, cmd);
    assert.ok(r.enhanced, `${cmd} reply has an enhanced code: ${r.lines}`);
  }
  await c.quit();
});

test("many sessions at once", async () => {
  const sessions = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const c = await client();
    const r = await c.send(`s${i}@example.org`, ["mylist@example.com", "mylist-bounces@example.com"], simple(`<c${i}@x>`));
    await c.quit();
    return r.final.map((f) => f.code);
  }));
  assert.deepEqual(sessions, Array(20).fill([250, 250]));
  assert.equal(await t.db.prisma.message.count(), 20);
  assert.equal(await t.db.prisma.job.count(), 40);
});

function base32(bytes: Buffer): string {
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const b of bytes) bits += b.toString(2).padStart(8, "0");
  let out = "";
  for (let i = 0; i < bits.length; i += 5) out += A[parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)];
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=");
}

// Issue 16: smtp-server merges a repeated RCPT into one envelope entry; RFC 2033
// 4.2 still wants one reply per accepted RCPT, and Postfix waits for each.
test("a repeated RCPT gets its own reply after DATA, nothing more is sent, and the list gets one job per distinct recipient", { timeout: 60_000 }, async () => {
  const c = await client();
  const to = ["mylist-owner@example.com", "mylist-owner@example.com", "MyList-Owner@example.com", "mylist@example.com", "mylist@example.com"];
  const r = await c.send("anne@example.org", to, simple("<dup@x>"));
  assert.deepEqual(r.rcpt.map((x) => x.code), [250, 250, 250, 250, 250]);
  assert.deepEqual(r.final.map((x) => `${x.code} ${x.enhanced}`), Array(5).fill("250 2.0.0"));
  assert.deepEqual(r.final.map((x) => x.text.replace(/queued as \d+/, "queued as N")), to.map((a) => `Ok: queued as N for <${a}>`));
  // The next reply is NOOP's: no reply was left over, none is missing.
  assert.equal((await c.command("NOOP")).text, "OK");
  await c.quit();
  const jobs = await t.db.prisma.job.findMany({ where: { message: { messageId: "<dup@x>" } }, orderBy: { id: "asc" } });
  assert.deepEqual(jobs.map((j) => j.queue), ["owner", "list"]);
});

test("the recipient cap counts every RCPT, repeated ones too", { timeout: 60_000 }, async () => {
  const c = await client();
  const r = await c.send("anne@example.org", Array(8).fill("mylist@example.com"), simple("<dupcap@x>"));
  assert.deepEqual(r.rcpt.map((x) => `${x.code} ${x.enhanced}`), [...Array(5).fill("250 2.1.5"), ...Array(3).fill("452 4.5.3")]);
  assert.equal(r.final.length, 5);
  assert.equal((await c.command("NOOP")).text, "OK");
  await c.quit();
  assert.equal(await t.db.prisma.job.count({ where: { message: { messageId: "<dupcap@x>" } } }), 1);
});

test("a repeated RCPT and a defective or oversized message: one refusal per RCPT", { timeout: 60_000 }, async () => {
  const c = await client();
  const bad = await c.send("anne@example.org", ["mylist@example.com", "mylist@example.com", "mylist@example.com"], "no header block at all\r\n");
  assert.deepEqual(bad.final.map((x) => `${x.code} ${x.enhanced}`), Array(3).fill("550 5.6.0"));
  const big = await c.send("anne@example.org", ["mylist@example.com", "mylist@example.com"], simple("<big@x>") + "x".repeat(1_100_000));
  assert.deepEqual(big.final.map((x) => `${x.code} ${x.enhanced}`), Array(2).fill("552 5.3.4"));
  assert.equal((await c.command("NOOP")).text, "OK");
  await c.quit();
});

test("python's smtplib.LMTP: a repeated RCPT gets its own reply after DATA", { timeout: 60_000 }, async () => {
  const { client: py } = await PythonLmtp.start(port);
  try {
    await py.lhlo("remote.example.org");
    const r = await py.transaction("anne@example.org", ["mylist@example.com", "mylist@example.com", "mylist-bounces@example.com"], simple("<pydup@x>"));
    assert.deepEqual(r.rcpt.map((x) => x[0]), [250, 250, 250]);
    assert.deepEqual(r.final.map((x) => x[0]), [250, 250, 250]);
    assert.deepEqual(r.noop[0], 250);
    assert.match(r.noop[1], /OK/);
  } finally {
    await py.close();
  }
  assert.equal(await t.db.prisma.job.count({ where: { message: { messageId: "<pydup@x>" } } }), 2);
});
