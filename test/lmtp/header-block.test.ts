// Table-driven checks of the two pure pieces of ingress: what counts as a message
// (a header block) and its Message-ID, and Mailman's Message-ID-Hash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { lookAtMessage } from "../../src/lmtp/header-block.js";
import { makeMessageId, messageIdHash } from "../../src/domain/message-id.js";

test("Message-ID-Hash is Mailman's: base32(SHA-1(id without brackets))", () => {
  // python3: base64.b32encode(hashlib.sha1(b'aardvark').digest())
  assert.equal(messageIdHash("<aardvark>"), "75E2XSUXAFQGWANWEROVQ7JGYMNWHJBT");
  assert.equal(messageIdHash("aardvark"), "75E2XSUXAFQGWANWEROVQ7JGYMNWHJBT");
  assert.equal(messageIdHash("  <aardvark>  "), "75E2XSUXAFQGWANWEROVQ7JGYMNWHJBT");
});

test("a made-up Message-ID is an RFC 5322 msg-id on the given domain, unique", () => {
  const a = makeMessageId("example.com");
  assert.match(a, /^<[A-Za-z0-9.]+@example\.com>$/);
  assert.notEqual(a, makeMessageId("example.com"));
  assert.match(makeMessageId("bad domain\r\n"), /@mailroom\.invalid>$/);
});

const cases: [string, string, string | null, boolean][] = [
  ["plain", "Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n", "<a@b>", true],
  ["case and spacing", "message-id :   <a@b>  (comment)\r\n\r\n", "<a@b>", true],
  ["folded", "Subject: x\r\nMessage-ID:\r\n <folded@b>\r\n\r\n", "<folded@b>", true],
  ["bare LF", "Subject: x\nMessage-Id: <lf@b>\n\nbody\n", "<lf@b>", true],
  ["no brackets", "Message-ID: naked@b\r\n\r\n", "<naked@b>", true],
  ["empty value", "Message-ID:\r\nSubject: x\r\n\r\n", null, true],
  ["missing", "Subject: x\r\n\r\nbody", null, true],
  ["Message-ID in the body only", "Subject: x\r\n\r\nMessage-ID: <body@b>\r\n", null, true],
  ["headers only, no body", "Subject: x\r\nMessage-ID: <h@b>", "<h@b>", true],
  ["no header block", "hello world\r\n", null, false],
  ["starts with an empty line", "\r\nSubject: x\r\n", null, false],
  ["empty", "", null, false],
  ["starts with a continuation line", " folded: x\r\n\r\n", null, false],
];

for (const [name, raw, id, isMessage] of cases) {
  test(`lookAtMessage: ${name}`, () => {
    const look = lookAtMessage(Buffer.from(raw, "latin1"));
    assert.equal(look.notAMessage === null, isMessage);
    assert.equal(look.messageId, id);
  });
}
