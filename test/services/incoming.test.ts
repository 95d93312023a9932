// The LMTP ingest (src/services/incoming.ts): messages stored together in one
// statement per batch keep their own bytes, ids and jobs, whatever the batch sizes
// (the statement text is made once per size and reused).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../../src/db/client.js";
import { createIncomingStore, type IncomingMessage } from "../../src/services/incoming.js";
import { build } from "../helpers/app.js";

test("concurrent messages in batches of several sizes: each its own row, bytes and job", async (t) => {
  const { services, testDb } = await build(t);
  await services.domains.create({ mailHost: "example.com" });
  await services.lists.create({ address: "mylist@example.com" });
  const decision = await services.recipients.resolve("mylist-owner@example.com");
  assert.ok(decision);
  let statements = 0;
  const counting: Database = { ...testDb.db, query: (name, sql, params) => { statements++; return testDb.db.query(name, sql, params); } };
  const store = createIncomingStore(counting);
  const message = (n: number): IncomingMessage => ({
    raw: Buffer.from(`Message-ID: <m${n}@example.org>\r\n\r\nbody ${n} \x00\xff`, "latin1"),
    mailFrom: n % 2 ? "" : `anne${n}@example.org`,
    recipients: [{ address: `mylist-owner@example.com`, decision }],
    messageId: `<m${n}@example.org>`,
    messageIdHash: `HASH${n}`,
  });
  // Waves of 1, 3, 5, 3, 1, 5 messages at once: batch sizes repeat (the same
  // prepared statement again).
  const ids = new Map<number, bigint>();
  let n = 0;
  for (const wave of [1, 3, 5, 3, 1, 5]) {
    const sent = Array.from({ length: wave }, () => n++);
    const got = await Promise.all(sent.map((i) => store.store(message(i))));
    sent.forEach((i, k) => ids.set(i, got[k]!));
  }
  assert.equal(new Set(ids.values()).size, n, "every message has an id of its own");
  // Each wave is stored in the same turn of the event loop, so it is one statement.
  assert.equal(statements, 6, "one statement (one commit) per wave");
  const rows = await testDb.db.prisma.message.findMany({ include: { jobs: true } });
  assert.equal(rows.length, n);
  for (const [i, id] of ids) {
    const row = rows.find((r) => r.id === id)!;
    assert.deepEqual(Buffer.from(row.raw), message(i).raw, `message ${i}: bytes as received`);
    assert.equal(row.messageId, `<m${i}@example.org>`);
    assert.equal(row.mailFrom, message(i).mailFrom);
    assert.deepEqual(row.jobs.map((j) => [j.queue, j.listId, j.recipient]), [["owner", "mylist.example.com", "mylist-owner@example.com"]]);
  }
});
