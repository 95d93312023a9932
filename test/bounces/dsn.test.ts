// RFC 3464 details beyond what flufl.bounce reads (src/bounces/dsn.ts): address-type
// spellings, X-Original-Recipient, odd Action words, several per-recipient blocks,
// and RFC 6533's message/global-delivery-status.
import { test } from "node:test";
import assert from "node:assert/strict";
import { addressOf, parseDeliveryStatus } from "../../src/bounces/dsn.js";
import { parseBounce } from "../../src/bounces/parse.js";

test("address-type spellings real MTAs write all give the address", () => {
  const cases: [string, string | null][] = [
    ["rfc822;anne@example.org", "anne@example.org"],
    ["RFC822; <Anne@Example.org>", "Anne@Example.org"],
    ["rfc822 ;  anne@example.org  ", "anne@example.org"],
    ["Rfc822; anne@example.org (Anne Person)", "anne@example.org"],
    ["anne@example.org", "anne@example.org"],
    ["<anne@example.org>", "anne@example.org"],
    ["utf-8; anne@example.org", "anne@example.org"],
    ["rfc822; mailto:anne@example.org", "anne@example.org"],
    ["x400; c=us;a=;p=corp;o=x;s=anne", null],
    ["x-unix; anne", null],
    ["rfc822; ", null],
  ];
  for (const [value, want] of cases) assert.equal(addressOf(value), want, value);
});

test("Original-Recipient (or X-Original-Recipient) is preferred over Final-Recipient; a non-mail type falls back", () => {
  const report = [
    "Reporting-MTA: dns; mx.example.net",
    "",
    "Final-Recipient: rfc822; anne@mailbox.example.net",
    "X-Original-Recipient: rfc822; Anne@Example.org",
    "Action: failed",
    "Status: 5.1.1",
    "",
    "Final-Recipient: RFC822; <bert@example.org>",
    "Original-Recipient: x400; c=us;a=;s=bert",
    "Action: failure",
    "Status: 5.0.0",
    "",
    "Final-Recipient: rfc822;carl@example.org",
    "Original-Recipient: rfc822;carl@lists.example.org",
    "Action: delayed (will retry)",
    "Status: 4.4.7",
    "",
    "Final-Recipient: rfc822;dora@example.org",
    "Action: relayed",
    "Status: 2.0.0",
    "",
    "Final-Recipient: rfc822;emma@example.org",
    "Action: error",
    "Diagnostic-Code: smtp; 550 mailbox",
    "  unavailable",
  ].join("\r\n");
  assert.deepEqual(parseDeliveryStatus(report), [
    { address: "Anne@Example.org", kind: "permanent", status: "5.1.1" },
    { address: "bert@example.org", kind: "permanent", status: "5.0.0" },
    { address: "carl@lists.example.org", kind: "temporary", status: "4.4.7" },
    { address: "emma@example.org", kind: "permanent", reason: "550 mailbox unavailable" },
  ]);
});

test("a missing or unknown Action is decided by the Status class", () => {
  assert.deepEqual(parseDeliveryStatus("Final-Recipient: rfc822; a@example.org\nStatus: 5.2.2\n\nFinal-Recipient: rfc822; b@example.org\nAction: x-unknown\nStatus: 4.2.2").map((r) => [r.address, r.kind]),
    [["a@example.org", "permanent"], ["b@example.org", "temporary"]]);
});

test("RFC 6533 message/global-delivery-status is read like message/delivery-status", async () => {
  const raw = Buffer.from([
    "From: MAILER-DAEMON@mx.example.net",
    "To: dev-bounces@lists.example.com",
    "Subject: Undelivered Mail Returned to Sender",
    "MIME-Version: 1.0",
    'Content-Type: multipart/report; report-type=global-delivery-status; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Your message could not be delivered.",
    "--b",
    "Content-Type: message/global-delivery-status",
    "",
    "Reporting-MTA: dns; mx.example.net",
    "",
    "Final-Recipient: utf-8; jürgen@example.de",
    "Action: failed",
    "Status: 5.1.1",
    "--b--",
    "",
  ].join("\r\n"));
  const report = await parseBounce(raw);
  assert.equal(report.format, "dsn");
  assert.deepEqual(report.recipients.map((r) => [r.address, r.kind]), [["jürgen@example.de", "permanent"]]);
});
