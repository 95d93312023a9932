// Table test over the bounce corpus in test/fixtures/bounces/: each file decodes to
// the expected addresses, classes and format (src/bounces/parse.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseBounce } from "../../src/bounces/parse.js";

const DIR = fileURLToPath(new URL("../fixtures/bounces/", import.meta.url));

interface Expected {
  format: string;
  /** address → class; empty: not recognised. */
  recipients: Record<string, "permanent" | "temporary">;
  verp?: string;
  status?: string;
}

const CORPUS: Record<string, Expected> = {
  "dsn-postfix-user-unknown.eml": { format: "dsn", recipients: { "anne@example.org": "permanent" }, status: "5.1.1" },
  "dsn-postfix-delayed.eml": { format: "dsn", recipients: { "dora@slow.example.net": "temporary" }, status: "4.4.1" },
  "dsn-sendmail-two-recipients.eml": { format: "dsn", recipients: { "erin@example.edu": "permanent", "frank@example.edu": "permanent" } },
  "dsn-exchange-ndr.eml": { format: "dsn", recipients: { "greta.ramos@corp.example.com": "permanent" } },
  "dsn-microsoft365.eml": { format: "dsn", recipients: { "hank@contoso.example": "permanent" }, status: "5.1.10" },
  "dsn-gmail.eml": { format: "dsn", recipients: { "ivy.no.such.user@gmail.example": "permanent" } },
  "dsn-quoted-printable-mixed-actions.eml": { format: "dsn", recipients: { "jack@example.biz": "permanent", "kate@example.biz": "temporary" } },
  "exim-permanent.eml": { format: "exim", recipients: { "mia@example.co.uk": "permanent" } },
  "exim-delay-warning.eml": { format: "exim", recipients: { "noah@example.co.uk": "temporary" } },
  "qmail.eml": { format: "qmail", recipients: { "olivia@example.net": "permanent", "paul@example.net": "permanent" } },
  "postfix-legacy-plain.eml": { format: "postfix", recipients: { "rachel@old.example.org": "permanent" } },
  "sendmail-plain.eml": { format: "sendmail", recipients: { "sam@legacy.example.com": "permanent" } },
  "sendmail-warning.eml": { format: "sendmail", recipients: { "tina@legacy.example.com": "temporary" } },
  "yahoo.eml": { format: "yahoo", recipients: { "uma@yahoo.example.com": "permanent" } },
  "exchange-legacy-ndr.eml": { format: "exchange-legacy", recipients: { "victor@oldcorp.example.com": "permanent" } },
  "domino.eml": { format: "domino", recipients: { "wendy@notes.example.com": "permanent" } },
  "groupwise.eml": { format: "groupwise", recipients: { "xavier@gw.example.org": "permanent" } },
  "gmail-legacy-plain.eml": { format: "gmail-legacy", recipients: { "yara@gmail.example": "permanent" } },
  "simplewarning-delayed.eml": { format: "simplewarning", recipients: { "zach@delay.example.com": "temporary" } },
  "mailman-own-bounce.eml": { format: "mailman", recipients: { "announce@other.example.org": "permanent" } },
  "smtp32.eml": { format: "smtp32", recipients: { "amy@smtp32.example.net": "permanent" } },
  "netscape.eml": { format: "netscape", recipients: { "ben@ns.example.com": "permanent" } },
  "microsoft365-text-only.eml": { format: "microsoft365", recipients: { "carl@fabrikam.example": "permanent" } },
  "gmail-text-only.eml": { format: "gmail", recipients: { "dana@gmail.example": "permanent" } },
  "gmx.eml": { format: "gmx", recipients: { "eli@gmx.example.net": "permanent" } },
  "compuserve.eml": { format: "compuserve", recipients: { "fay@csi.example.com": "permanent" } },
  // Another list's "awaits moderator approval" notice: an auto-reply, not a bounce.
  "mailman-rejection.eml": { format: "auto-reply", recipients: {} },
  "vacation-autoreply.eml": { format: "auto-reply", recipients: {} },
  "vacation-verp-autoreply.eml": { format: "auto-reply", recipients: {}, verp: "dave@tiny.example.net" },
  "verp-only-autoresponder.eml": { format: "verp", recipients: { "dave@tiny.example.net": "permanent" }, verp: "dave@tiny.example.net" },
};

test("every fixture in the corpus has an expected result, and there are at least 20 formats", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".eml")).sort();
  assert.deepEqual(files, Object.keys(CORPUS).sort());
  const recognised = Object.values(CORPUS).filter((e) => Object.keys(e.recipients).length > 0);
  assert.ok(recognised.length >= 20, `only ${recognised.length} recognised bounces`);
});

for (const [file, expected] of Object.entries(CORPUS)) {
  test(`${file} → ${expected.format} ${JSON.stringify(expected.recipients)}`, async () => {
    const report = await parseBounce(readFileSync(DIR + file), { verpAddress: expected.verp ?? null });
    const got = Object.fromEntries(report.recipients.map((r) => [r.address.toLowerCase(), r.kind]));
    assert.deepEqual(got, expected.recipients);
    assert.equal(report.format, expected.format);
    assert.equal(report.recognised, Object.keys(expected.recipients).length > 0);
    if (expected.status) assert.equal(report.recipients[0]?.status, expected.status);
  });
}

test("a VERP address wins over the report's addresses, but a delay-only report stays temporary", async () => {
  const delayed = await parseBounce(readFileSync(DIR + "dsn-postfix-delayed.eml"), { verpAddress: "dora@slow.example.net" });
  assert.deepEqual(delayed.recipients.map((r) => [r.address, r.kind, r.status]), [["dora@slow.example.net", "temporary", "4.4.1"]]);
  assert.equal(delayed.format, "verp+dsn");
  const failed = await parseBounce(readFileSync(DIR + "exim-permanent.eml"), { verpAddress: "Mia@Example.co.uk" });
  assert.deepEqual(failed.recipients.map((r) => [r.address, r.kind]), [["Mia@Example.co.uk", "permanent"]]);
});

test("garbage never throws: binary noise and an empty message are unrecognised", async () => {
  for (const raw of [Buffer.alloc(0), Buffer.from([0, 1, 2, 255, 254, 10, 13]), Buffer.from("no headers at all\n")]) {
    const report = await parseBounce(raw);
    assert.equal(report.recognised, false);
    assert.deepEqual(report.recipients, []);
  }
});

test("a vacation reply is no bounce, VERP or not; real reports marked Auto-Submitted still are (issue 16)", async () => {
  for (const file of ["vacation-autoreply.eml", "vacation-verp-autoreply.eml"]) {
    for (const verpAddress of [null, "clara@example.org"]) {
      const report = await parseBounce(readFileSync(DIR + file), { verpAddress });
      assert.deepEqual([report.format, report.recipients, report.recognised], ["auto-reply", [], false], `${file} ${verpAddress}`);
      assert.match(report.autoReply ?? "", /Auto-Submitted: auto-replied|auto-responder header|Precedence: bulk/);
    }
  }
  const marked = Object.keys(CORPUS).filter((f) => CORPUS[f]!.format !== "auto-reply" && /^Auto-Submitted:/im.test(readFileSync(DIR + f, "utf8")));
  assert.ok(marked.length >= 8, `reports with Auto-Submitted: ${marked}`);
  for (const file of marked) {
    const report = await parseBounce(readFileSync(DIR + file), { verpAddress: "member@example.org" });
    assert.equal(report.autoReply, undefined, file);
    assert.equal(report.recognised, true, file);
  }
  // A bounce from MAILER-DAEMON in a format no reader knows is still trusted through VERP.
  const odd = Buffer.from("From: MAILER-DAEMON@mx.example.net\r\nAuto-Submitted: auto-replied\r\nSubject: failure\r\n\r\nNo.\r\n");
  const r = await parseBounce(odd, { verpAddress: "member@example.org" });
  assert.deepEqual([r.format, r.recipients.map((x) => x.kind)], ["verp", ["permanent"]]);
});
