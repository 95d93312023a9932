// One table per rule: inputs that should hit (with the action) and that should miss.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { POSTING_CHAIN, runChain } from "../../src/pipeline/chain.js";
import bannedAddress from "../../src/pipeline/rules/banned-address.js";
import administrivia from "../../src/pipeline/rules/administrivia.js";
import approved from "../../src/pipeline/rules/approved.js";
import autoReply from "../../src/pipeline/rules/auto-reply.js";
import dmarcMitigation from "../../src/pipeline/rules/dmarc-mitigation.js";
import emergency from "../../src/pipeline/rules/emergency.js";
import headerMatch from "../../src/pipeline/rules/header-match.js";
import implicitDestination from "../../src/pipeline/rules/implicit-destination.js";
import loop from "../../src/pipeline/rules/loop.js";
import maxRecipients from "../../src/pipeline/rules/max-recipients.js";
import maxSize from "../../src/pipeline/rules/max-size.js";
import memberModeration from "../../src/pipeline/rules/member-moderation.js";
import noSubject from "../../src/pipeline/rules/no-subject.js";
import nonmemberModeration from "../../src/pipeline/rules/nonmember-moderation.js";
import type { RuleInput } from "../../src/pipeline/rules/rule.js";
import { fakeDmarc, fixture, makeList, makeMember, message, ruleInput, ruleTable as table } from "./helpers.js";


const plain = (h: string[] = [], body?: string) =>
  message(["From: anne@example.com", "To: test@example.com", "Subject: Hi", ...h], body);

table(loop, [
  ["our X-BeenThere → discard", () => ruleInput(fixture("looped")), "discard"],
  ["another list's X-BeenThere → miss", () => ruleInput(fixture("reply-prefixed")), null],
  ["no X-BeenThere → miss", () => ruleInput(plain()), null],
]);

const vacation = (h: string[], mailFrom = "anne@example.com", over: Parameters<typeof makeList>[0] = {}) => () => {
  const input = ruleInput(plain(h), { list: makeList(over) });
  input.ctx.mailFrom = mailFrom;
  return input;
};

table(autoReply, [
  ["Auto-Submitted: auto-replied → hold", vacation(["Auto-Submitted: auto-replied"]), "hold"],
  ["Auto-Submitted: auto-generated → hold", vacation(["Auto-Submitted: auto-generated"]), "hold"],
  ["Auto-Submitted: no → miss", vacation(["Auto-Submitted: no"]), null],
  ["X-Autoreply: yes → hold", vacation(["X-Autoreply: yes"]), "hold"],
  ["X-Autorespond → hold", vacation(["X-Autorespond: vacation"]), "hold"],
  ["Precedence: bulk → hold", vacation(["Precedence: bulk"]), "hold"],
  ["Precedence: junk → hold", vacation(["Precedence: junk"]), "hold"],
  ["Precedence: list → hold", vacation(["Precedence: list"]), "hold"],
  ["Precedence: first-class → miss", vacation(["Precedence: first-class"]), null],
  ["null envelope sender → hold", vacation([], ""), "hold"],
  ["MAILER-DAEMON envelope sender → hold", vacation([], "MAILER-DAEMON@example.org"), "hold"],
  ["autoReplyAction discard → discard", vacation(["Auto-Submitted: auto-replied"], "anne@example.com", { autoReplyAction: "discard" }), "discard"],
  ["autoReplyAction defer → miss", vacation(["Auto-Submitted: auto-replied"], "anne@example.com", { autoReplyAction: "defer" }), null],
  ["a person's post → miss", vacation([]), null],
]);

table(approved, [
  ["right password in Approved: → accept", () => ruleInput(plain(["Approved: secret"]), { list: makeList({ moderatorPassword: "hash:secret" }) }), "accept"],
  ["right password in Approve: → accept", () => ruleInput(plain(["Approve: secret"]), { list: makeList({ moderatorPassword: "hash:secret" }) }), "accept"],
  ["right password as first body line → accept", () => ruleInput(fixture("approved-body"), { list: makeList({ moderatorPassword: "hash:secret" }) }), "accept"],
  ["wrong password → miss", () => ruleInput(plain(["Approved: guess"]), { list: makeList({ moderatorPassword: "hash:secret" }) }), null],
  ["list without password → miss", () => ruleInput(plain(["Approved: secret"])), null],
  ["no header → miss", () => ruleInput(plain(), { list: makeList({ moderatorPassword: "hash:secret" }) }), null],
]);

describe("approved strips the password", () => {
  it("from the header, even when wrong", async () => {
    const input = ruleInput(plain(["Approved: guess"]), { list: makeList({ moderatorPassword: "hash:secret" }) });
    await approved.check(input);
    assert.equal(input.msg.has("Approved"), false);
  });
  it("from the body line", async () => {
    const input = ruleInput(fixture("approved-body"), { list: makeList({ moderatorPassword: "hash:secret" }) });
    await approved.check(input);
    assert.equal(input.msg.body.toString(), "The real text.\r\n");
    assert.equal(input.ctx.approved, true);
  });
});

table(emergency, [
  ["emergency on → hold", () => ruleInput(plain(), { list: makeList({ emergency: true }) }), "hold"],
  ["emergency off → miss", () => ruleInput(plain()), null],
]);

table(bannedAddress, [
  ["sender banned exactly, any case → discard", () => ruleInput(plain(), { bans: ["anne@example.com"] }), "discard"],
  ["sender matched by a ^pattern, case-insensitively → discard", () => ruleInput(plain(), { bans: ["^ANNE@.*"] }), "discard"],
  ["pattern anchored at the start → miss", () => ruleInput(plain(), { bans: ["^example\\.com$"] }), null],
  ["an exact ban is not a pattern → miss", () => ruleInput(plain(), { bans: [".*@example.com"] }), null],
  ["no bans → miss", () => ruleInput(plain()), null],
]);

const asMember = (over = {}) => ({ senderRows: [makeMember("anne@example.com", over)] });
table(memberModeration, [
  ["member, list default accept → accept", () => ruleInput(plain(), asMember()), "accept"],
  ["member, list default hold → hold", () => ruleInput(plain(), { ...asMember(), list: makeList({ defaultMemberAction: "hold" }) }), "hold"],
  ["member's own action beats the list's", () => ruleInput(plain(), { ...asMember({ moderationAction: "discard" }), list: makeList({ defaultMemberAction: "hold" }) }), "discard"],
  ["member with defer → miss (other rules decide)", () => ruleInput(plain(), asMember({ moderationAction: "defer" })), null],
  ["member reject → reject", () => ruleInput(plain(), asMember({ moderationAction: "reject" })), "reject"],
  ["owner posts freely despite list hold", () => ruleInput(plain(), { ...asMember({ role: "owner" }), list: makeList({ defaultMemberAction: "hold" }) }), "accept"],
  ["moderator posts freely", () => ruleInput(plain(), { ...asMember({ role: "moderator" }), list: makeList({ defaultMemberAction: "hold" }) }), "accept"],
  ["nonmember row only → miss", () => ruleInput(plain(), asMember({ role: "nonmember" })), null],
  ["nobody known → miss", () => ruleInput(plain()), null],
]);

table(nonmemberModeration, [
  ["unknown sender → hold (default)", () => ruleInput(plain()), "hold"],
  ["unknown sender, list default discard", () => ruleInput(plain(), { list: makeList({ defaultNonmemberAction: "discard" }) }), "discard"],
  ["nonmember with own accept", () => ruleInput(plain(), asMember({ role: "nonmember", moderationAction: "accept" })), "accept"],
  ["nonmember with own reject", () => ruleInput(plain(), asMember({ role: "nonmember", moderationAction: "reject" })), "reject"],
  ["a member → miss", () => ruleInput(plain(), asMember()), null],
  ["defer → miss", () => ruleInput(plain(), { list: makeList({ defaultNonmemberAction: "defer" }) }), null],
]);

table(administrivia, [
  ["subject 'unsubscribe' → collect", () => ruleInput(fixture("administrivia")), "collect"],
  ["first body line 'subscribe' → collect", () => ruleInput(plain([], "subscribe\r\n")), "collect"],
  ["'help me please' is not a command → miss", () => ruleInput(plain([], "help me please with my printer\r\n")), null],
  ["setting off → miss", () => ruleInput(fixture("administrivia"), { list: makeList({ administrivia: false }) }), null],
]);

table(implicitDestination, [
  ["list only in Bcc → collect", () => ruleInput(fixture("implicit-destination")), "collect"],
  ["list in To → miss", () => ruleInput(plain()), null],
  ["list in Cc, upper case → miss", () => ruleInput(message(["From: a@x.org", "To: b@x.org", "Cc: TEST@Example.com"])), null],
  ["acceptable alias → miss", () => ruleInput(message(["From: a@x.org", "To: old@example.com"]), { list: makeList({ acceptableAliases: ["old@example.com"] }) }), null],
  ["acceptable alias regexp → miss", () => ruleInput(message(["From: a@x.org", "To: t-1@example.com"]), { list: makeList({ acceptableAliases: ["^t-\\d@example\\.com$"] }) }), null],
  ["setting off → miss", () => ruleInput(fixture("implicit-destination"), { list: makeList({ requireExplicitDestination: false }) }), null],
]);

table(maxRecipients, [
  ["6 recipients, max 5 → collect", () => ruleInput(fixture("many-recipients"), { list: makeList({ maxNumRecipients: 5 }) }), "collect"],
  ["6 recipients, max 6 → collect (Mailman counts >=)", () => ruleInput(fixture("many-recipients"), { list: makeList({ maxNumRecipients: 6 }) }), "collect"],
  ["6 recipients, max 10 → miss", () => ruleInput(fixture("many-recipients")), null],
  ["max 0 disables", () => ruleInput(fixture("many-recipients"), { list: makeList({ maxNumRecipients: 0 }) }), null],
]);

table(maxSize, [
  ["2 KB over 1 KB max → collect", () => ({ ...ruleInput(plain()), size: 2048, list: makeList({ maxMessageSize: 1 }) }), "collect"],
  ["small → miss", () => ruleInput(plain()), null],
  ["max 0 disables", () => ({ ...ruleInput(plain()), size: 10_000_000, list: makeList({ maxMessageSize: 0 }) }), null],
]);

table(noSubject, [
  ["no Subject → collect", () => ruleInput(message(["From: a@x.org", "To: test@example.com"])), "collect"],
  ["blank Subject → collect", () => ruleInput(message(["From: a@x.org", "Subject:   "])), "collect"],
  ["a subject → miss", () => ruleInput(plain()), null],
]);

const filters = (action: string) => makeList({ headerMatches: [{ header: "X-Spam-Flag", pattern: "^yes", action }] });
table(headerMatch, [
  ["match with discard", () => ruleInput(plain(["X-Spam-Flag: YES"]), { list: filters("discard") }), "discard"],
  ["match with hold", () => ruleInput(plain(["X-Spam-Flag: yes"]), { list: filters("hold") }), "hold"],
  ["match with defer only collects", () => ruleInput(plain(["X-Spam-Flag: yes"]), { list: filters("defer") }), "collect"],
  ["no match", () => ruleInput(plain(["X-Spam-Flag: no"]), { list: filters("discard") }), null],
  ["bad stored pattern is skipped", () => ruleInput(plain(["X-Spam-Flag: yes"]), { list: makeList({ headerMatches: [{ header: "X-Spam-Flag", pattern: "(", action: "discard" }] }) }), null],
]);

const strict = fakeDmarc({ "strict.example": "reject", "quar.example": "quarantine", "lax.example": "none" });
table(dmarcMitigation, [
  ["p=reject, munge_from → miss (handler munges)", () => ruleInput(fixture("dmarc-reject-from"), { dmarc: strict }), null],
  ["p=reject, action reject → reject", () => ruleInput(fixture("dmarc-reject-from"), { dmarc: strict, list: makeList({ dmarcMitigateAction: "reject" }) }), "reject"],
  ["p=reject, action discard → discard", () => ruleInput(fixture("dmarc-reject-from"), { dmarc: strict, list: makeList({ dmarcMitigateAction: "discard" }) }), "discard"],
  ["p=none, action reject → miss", () => ruleInput(message(["From: a@lax.example"]), { dmarc: strict, list: makeList({ dmarcMitigateAction: "reject" }) }), null],
]);

describe("dmarc-mitigation marks the context", () => {
  for (const [from, mitigate, uncond] of [["a@quar.example", "munge_from", false], ["a@lax.example", undefined, false], ["a@lax.example", "munge_from", true]] as const) {
    it(`${from}${uncond ? " (unconditionally)" : ""} → ${mitigate}`, async () => {
      const input = ruleInput(message([`From: ${from}`]), { dmarc: strict, list: makeList({ dmarcMitigateUnconditionally: uncond }) });
      await dmarcMitigation.check(input);
      assert.equal(input.ctx.dmarc, mitigate);
    });
  }
});

describe("the posting chain", () => {
  it("accepts a member's post and records the rules run", async () => {
    const input = ruleInput(fixture("plain-text"), asMember());
    const d = await runChain(input);
    assert.deepEqual(d, { outcome: "accept", rule: "member-moderation", reasons: ["moderation action accept"] });
    assert.deepEqual(input.ctx.ruleMisses, ["dmarc-mitigation", "no-senders", "approved", "emergency", "loop", "banned-address", "auto-reply"]);
    assert.deepEqual(input.ctx.ruleHits, ["member-moderation"]);
  });
  it("discards a loop before moderation", async () => {
    const d = await runChain(ruleInput(fixture("looped"), asMember()));
    assert.equal(d.outcome, "discard");
    assert.equal(d.rule, "loop");
  });
  it("holds for every collected reason when members defer", async () => {
    const input = ruleInput(fixture("implicit-destination"), { ...asMember(), list: makeList({ defaultMemberAction: "defer" }) });
    const d = await runChain(input);
    assert.equal(d.outcome, "hold");
    assert.deepEqual(d.reasons, ["Message has implicit destination"]);
  });
  it("holds a member's vacation reply before member-moderation can accept it (issue 16)", async () => {
    const input = ruleInput(plain(["Auto-Submitted: auto-replied"]), asMember());
    const d = await runChain(input);
    assert.deepEqual(d, { outcome: "hold", rule: "auto-reply", reasons: ["The message looks automatically generated (Auto-Submitted: auto-replied)"] });
    assert.deepEqual(input.ctx.ruleHits, ["auto-reply"]);
  });
  it("lets a robot's post through when the moderator password approves it", async () => {
    const d = await runChain(ruleInput(plain(["Auto-Submitted: auto-generated", "Approved: secret"]), { list: makeList({ moderatorPassword: "hash:secret" }) }));
    assert.deepEqual([d.outcome, d.rule], ["accept", "approved"]);
  });
  it("holds a nonmember's post", async () => {
    const d = await runChain(ruleInput(fixture("plain-text")));
    assert.deepEqual([d.outcome, d.rule], ["hold", "nonmember-moderation"]);
  });
  it("is the Mailman order", () => {
    assert.deepEqual(POSTING_CHAIN.map((r) => r.name), [
      "dmarc-mitigation", "no-senders", "approved", "emergency", "loop", "banned-address", "auto-reply", "member-moderation", "header-match",
      "nonmember-moderation", "administrivia", "implicit-dest", "max-recipients", "max-size", "news-moderation", "no-subject",
      "suspicious-header",
    ]);
  });
});
