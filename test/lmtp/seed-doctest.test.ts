// The seed doctest (shared/seeds/lmtp-server.txt, Mailman's "LMTP server"), step
// for step, through python3's smtplib.LMTP on one session. As in Mailman 3.3 and
// the contract, the 550 comes at RCPT, so smtplib raises SMTPRecipientsRefused.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { PythonLmtp } from "../helpers/lmtp-client.js";
import { createList, message, startLmtp } from "./fixtures.js";
import type { LmtpServer } from "../../src/lmtp/server.js";

let t: TestDatabase;
let lmtp: LmtpServer;
let port: number;
before(async () => {
  t = await createTestDatabase();
  ({ lmtp, port } = await startLmtp(t.db));
});
after(async () => {
  await lmtp.close();
  await t.close();
});

const post = (to: string, subject: string, id: string, body: string) =>
  message({ From: "anne.person@example.com", To: to, Subject: subject, "Message-ID": id }, body);

test("the seed doctest, step for step", async () => {
  const { client, greeting } = await PythonLmtp.start(port);
  try {
    // (220, '... Python LMTP queue runner 1.0') — ours names mailroom.
    assert.equal(greeting[0], 220);
    assert.match(greeting[1], /mailroom/);
    const lhlo = await client.lhlo("remote.example.org");
    assert.equal(lhlo[0], 250);

    // Posting address of a list that does not exist: 550 with the seed's text.
    const r1 = await client.sendmail("anne.person@example.com", ["mylist@example.com"],
      post("mylist@example.com", "An interesting message", "<aardvark>", "This is an interesting message.\n"));
    assert.deepEqual(r1, {
      error: "SMTPRecipientsRefused", code: null, message: "",
      recipients: { "mylist@example.com": [550, "5.1.1 Requested action not taken: mailbox unavailable"] },
    });

    // Once the mailing list is created, the posting address is valid.
    await createList(t.db, "mylist@example.com");
    const r2 = await client.sendmail("anne.person@example.com", ["mylist@example.com"],
      post("mylist@example.com", "An interesting message", "<badger>", "This is an interesting message.\n"));
    assert.deepEqual(r2, { refused: {} });

    // An invalid sub-address is rejected.
    const r3 = await client.sendmail("anne.person@example.com", ["mylist-bogus@example.com"],
      post("mylist-bogus@example.com", "Help", "<cow>", "Please help me.\n"));
    assert.deepEqual(r3, {
      error: "SMTPRecipientsRefused", code: null, message: "",
      recipients: { "mylist-bogus@example.com": [550, "5.1.1 Requested action not taken: mailbox unavailable"] },
    });

    // A valid sub-address is accepted.
    const r4 = await client.sendmail("anne.person@example.com", ["mylist-request@example.com"],
      post("mylist-request@example.com", "Help", "<dog>", "Please help me.\n"));
    assert.deepEqual(r4, { refused: {} });
  } finally {
    await client.close();
  }

  // What was queued: <badger> to the list queue, <dog> to the command queue.
  const jobs = await t.db.prisma.job.findMany({ orderBy: { id: "asc" }, include: { message: true } });
  assert.deepEqual(jobs.map((j) => [j.queue, j.listId, j.recipient, j.message?.messageId]), [
    ["list", "mylist.example.com", "mylist@example.com", "<badger>"],
    ["command", "mylist.example.com", "mylist-request@example.com", "<dog>"],
  ]);
});
