// domain/raw-message.ts: untouched bytes stay untouched; edits are well-formed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeHeaderValue, formatMailbox, RawMessage } from "../../src/domain/raw-message.js";
import { fixture } from "./helpers.js";

describe("RawMessage", () => {
  for (const name of ["plain-text", "multipart-signed", "bare-lf", "latin1-text"]) {
    it(`${name}: parse then serialise gives the same bytes`, () => {
      const raw = fixture(name);
      assert.deepEqual(RawMessage.parse(raw).toBuffer(), raw);
    });
  }
  it("reads folded and encoded values", () => {
    const m = RawMessage.parse(Buffer.from("Subject: =?utf-8?q?Gr=C3=BC?=\r\n =?utf-8?b?w59l?=\r\nFrom: \"A, B\" <a@x.org>\r\n\r\n"));
    assert.equal(m.get("subject"), "Grüße");
    assert.deepEqual(m.addresses("FROM"), [{ name: "A, B", address: "a@x.org" }]);
  });
  it("reads raw UTF-8 header bytes (RFC 6532)", () => {
    const m = RawMessage.parse(Buffer.from("Subject: Grüße\r\n\r\n", "utf8"));
    assert.equal(m.get("Subject"), "Grüße");
  });
  it("set replaces in place and drops duplicates; remove counts", () => {
    const m = RawMessage.parse(Buffer.from("A: 1\r\nB: 2\r\nA: 3\r\n\r\nx"));
    m.set("a", "9");
    assert.equal(m.toBuffer().toString(), "A: 9\r\nB: 2\r\n\r\nx");
    assert.equal(m.remove("b"), 1);
  });
  it("a message without a body", () => {
    const m = RawMessage.parse(Buffer.from("Subject: x\r\n"));
    assert.equal(m.get("Subject"), "x");
    assert.equal(m.body.length, 0);
  });
  it("leaves undecodable words alone", () => {
    assert.equal(decodeHeaderValue("=?x-unknown?q?abc?="), "=?x-unknown?q?abc?=");
  });
  it("formats mailboxes", () => {
    assert.equal(formatMailbox("", "a@x.org"), "a@x.org");
    assert.equal(formatMailbox("Ann Example", "a@x.org"), "Ann Example <a@x.org>");
    assert.equal(formatMailbox("Ex, Ann", "a@x.org"), '"Ex, Ann" <a@x.org>');
    assert.match(formatMailbox("Jörg", "j@x.org"), /^=\?UTF-8\?Q\?J=C3=B6rg\?= <j@x.org>$/);
  });
  it("never writes CR/LF from a display name or a value (header injection)", () => {
    assert.doesNotMatch(formatMailbox("Evil\r\nBcc: victim@x", "e@evil"), /[\r\n]/);
    const m = RawMessage.parse(Buffer.from("From: a@x.org\r\n\r\n"));
    m.set("Reply-To", "a@x.org\r\nBcc: victim@x");
    m.append("Cc", "b@x.org\nBcc: victim@x");
    assert.equal(m.getAll("Bcc").length, 0);
    assert.doesNotMatch(m.headerBytes().toString("latin1"), /\nBcc:/i);
  });
});
