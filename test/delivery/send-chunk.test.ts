// delivery/send-chunk.ts with a fake mailer: once the MTA is unavailable the rest of
// the chunk is marked unreachable without being tried.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sendChunk } from "../../src/delivery/send-chunk.js";
import { MtaUnavailable, type Mailer } from "../../src/delivery/smtp-transport.js";

function downMailer() {
  const calls: string[][] = [];
  const mailer: Mailer = {
    async send(_from, to) { calls.push(to); throw new MtaUnavailable("ECONNREFUSED: connect"); },
    close() {},
  };
  return { mailer, calls };
}

const rcpt = ["a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org"];
const pending = [0, 1, 2, 3, 4];

test("VERP: after the first unavailable MTA the rest is unreachable at once", async () => {
  const { mailer, calls } = downMailer();
  const out = await sendChunk(mailer, rcpt, pending, { mode: "verp", envelopeFor: () => ({ from: "b@l", raw: Buffer.from("x") }), parallel: 1 }, new AbortController().signal);
  assert.equal(calls.length, 1);
  assert.deepEqual(out.unreachable.map(([i]) => i).sort(), pending);
  assert.ok(out.unreachable.every(([, why]) => /ECONNREFUSED/.test(why)));
});

test("bulk: after the first unavailable MTA the other batches are unreachable at once", async () => {
  const { mailer, calls } = downMailer();
  const out = await sendChunk(mailer, rcpt, pending, { mode: "bulk", from: "b@l", raw: Buffer.from("x"), maxRecipients: 2 }, new AbortController().signal);
  assert.equal(calls.length, 1);
  assert.deepEqual(out.unreachable.map(([i]) => i).sort(), pending);
});
