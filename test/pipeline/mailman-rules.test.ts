// The rules Mailman has beyond moderation: no-senders, suspicious-header and
// news-moderation, each from real message text, and where they stand in the chain.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runChain } from "../../src/pipeline/chain.js";
import newsModeration from "../../src/pipeline/rules/news-moderation.js";
import noSenders from "../../src/pipeline/rules/no-senders.js";
import suspiciousHeader from "../../src/pipeline/rules/suspicious-header.js";
import type { RuleInput } from "../../src/pipeline/rules/rule.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseHeaderPatterns } from "../../src/domain/header-patterns.js";
import { readSiteHeaderPatterns } from "../../src/pipeline/site-headers.js";
import { loadConfig } from "../../src/config/index.js";
import { RawMessage } from "../../src/domain/raw-message.js";
import { context, makeList, makeMember, message, ruleInput, ruleTable as table } from "./helpers.js";


const plain = (h: string[] = []) => message(["From: anne@example.com", "To: test@example.com", "Subject: Hi", ...h]);

/** A rule input whose senders are worked out from the message as list-queue does, with this envelope sender. */
function withEnvelope(raw: Buffer, mailFrom: string): RuleInput {
  const input = ruleInput(raw);
  const msg = RawMessage.parse(raw);
  input.ctx = context(msg, mailFrom);
  input.ctx.senders = [...new Set([...msg.addresses("From"), ...msg.addresses("Sender")].map((a) => a.address.toLowerCase()).concat(mailFrom ? [mailFrom] : []))];
  return input;
}

table(noSenders, [
  ["From: present → miss", () => withEnvelope(plain(), ""), null],
  ["only the envelope sender → miss", () => withEnvelope(message(["To: test@example.com", "Subject: x"]), "bob@example.org"), null],
  ["only Reply-To → miss (Mailman counts it)", () => withEnvelope(message(["Reply-To: bob@example.org", "Subject: x"]), ""), null],
  ["no From, Sender, Reply-To, null envelope → discard", () => withEnvelope(message(["To: test@example.com", "Subject: x"]), ""), "discard"],
  ["From: without an address, null envelope → discard", () => withEnvelope(message(["From: undisclosed-recipients:;", "Subject: x"]), ""), "discard"],
]);

const bmh = (text: string) => makeList({ bounceMatchingHeaders: text });
const lines = "# comment line\n\nto: friend@public.com\nX-Mailer:   ^Spam ?Blaster\n";
table(suspiciousHeader, [
  ["matching line → collect (hold)", () => ruleInput(plain(["X-Mailer: SpamBlaster 3"]), { list: bmh(lines) }), "collect"],
  ["case-insensitive header and pattern", () => ruleInput(message(["From: a@x.org", "TO: Friend@Public.COM"]), { list: bmh(lines) }), "collect"],
  ["searched anywhere in the value", () => ruleInput(message(["From: a@x.org", "To: x <friend@public.com>"]), { list: bmh(lines) }), "collect"],
  ["no match → miss", () => ruleInput(plain(["X-Mailer: Thunderbird"]), { list: bmh(lines) }), null],
  ["empty setting → miss", () => ruleInput(plain(["X-Mailer: SpamBlaster"])), null],
  ["bad stored line is skipped", () => ruleInput(plain(["X-Mailer: (x"]), { list: bmh("X-Mailer: (\nnot a header line") }), null],
  ["site-wide line → collect", () => ruleInput(plain(["X-Spam-Flag: YES"]), { siteSuspiciousHeaders: parseHeaderPatterns("X-Spam-Flag: ^yes").patterns }), "collect"],
]);

describe("suspicious-header reasons", () => {
  it("name the header and which setting matched", async () => {
    const own = await suspiciousHeader.check(ruleInput(plain(["X-Mailer: SpamBlaster"]), { list: bmh(lines) }));
    assert.deepEqual(own, { hit: true, action: "collect", reason: 'Header "X-Mailer" matched a bounce_matching_header line' });
    const site = await suspiciousHeader.check(ruleInput(plain(["X-Spam-Flag: yes"]), { siteSuspiciousHeaders: parseHeaderPatterns("x-spam-flag: yes").patterns }));
    assert.deepEqual(site, { hit: true, action: "collect", reason: 'Header "x-spam-flag" matched a site suspicious-header line' });
  });
});

describe("bounce_matching_headers lines", () => {
  it("parse as Mailman reads them, and report lines it would skip", () => {
    const { patterns, errors } = parseHeaderPatterns("# c\n  From: .*@uplinkpro.com  \nno colon here\nSubject: [\n");
    assert.deepEqual(patterns.map((p) => [p.header, p.regexp.source, p.regexp.flags]), [["From", ".*@uplinkpro.com", "i"]]);
    assert.deepEqual(errors.map((e) => e.line), ["no colon here", "Subject: ["]);
  });
});

describe("the site's suspicious-header file (MAILROOM_SUSPICIOUS_HEADERS_FILE)", () => {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-site-headers-"));
  it("is named by the configuration and read at start", () => {
    const path = join(dir, "suspicious");
    writeFileSync(path, "# site-wide\nX-Spam-Flag: ^yes\nReceived: from .*\\.bad\\.example\n");
    const config = loadConfig({ MAILROOM_SUSPICIOUS_HEADERS_FILE: path } as NodeJS.ProcessEnv);
    assert.equal(config.suspiciousHeadersFile, path);
    assert.deepEqual(readSiteHeaderPatterns(config.suspiciousHeadersFile).map((p) => p.header), ["X-Spam-Flag", "Received"]);
    assert.deepEqual(readSiteHeaderPatterns(null), []);
  });
  it("stops the start on a line that does not parse, naming it", () => {
    const path = join(dir, "bad");
    writeFileSync(path, "X-Spam-Flag: (yes\n");
    assert.throws(() => readSiteHeaderPatterns(path), /"X-Spam-Flag: \(yes"/);
  });
});

table(newsModeration, [
  ["moderated → collect (hold)", () => ruleInput(plain(), { list: makeList({ newsgroupModeration: "moderated" }) }), "collect"],
  ["open_moderated → miss", () => ruleInput(plain(), { list: makeList({ newsgroupModeration: "open_moderated" }) }), null],
  ["none → miss", () => ruleInput(plain()), null],
]);

describe("the chain with these rules", () => {
  it("discards a post with no senders before anything else can accept it", async () => {
    const input = withEnvelope(message(["To: test@example.com", "Subject: x", "Approved: secret"]), "");
    input.list = makeList({ moderatorPassword: "hash:secret" });
    const d = await runChain(input);
    assert.deepEqual([d.outcome, d.rule], ["discard", "no-senders"]);
  });
  it("holds a nonmember's post to a moderated newsgroup gateway with both reasons only if nothing decided first", async () => {
    const input = ruleInput(plain(["X-Mailer: SpamBlaster"]), { list: makeList({ newsgroupModeration: "moderated", bounceMatchingHeaders: lines, defaultNonmemberAction: "defer" }) });
    const d = await runChain(input);
    assert.equal(d.outcome, "hold");
    assert.deepEqual(d.reasons, ["Post to a moderated newsgroup gateway", 'Header "X-Mailer" matched a bounce_matching_header line']);
    assert.equal(d.rule, "suspicious-header");
  });
  it("lets a member's post through: member-moderation decides before the collecting rules, as in Mailman", async () => {
    const raw = plain(["X-Mailer: SpamBlaster"]);
    const d = await runChain(ruleInput(raw, { list: makeList({ newsgroupModeration: "moderated", bounceMatchingHeaders: lines }), senderRows: [makeMember("anne@example.com")] }));
    assert.equal(d.outcome, "accept");
  });
});
