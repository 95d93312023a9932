// The posting chain (Mailman chains/builtin.py) as data: rules in order. The first
// hit that decides (accept, hold, reject, discard) ends the chain; hits that only
// collect a reason hold the post at the end; no hit at all accepts it. Every rule
// run is recorded as a hit or a miss on the context.
import type { Decision } from "../domain/message-context.js";
import administrivia from "./rules/administrivia.js";
import approved from "./rules/approved.js";
import bannedAddress from "./rules/banned-address.js";
import autoReply from "./rules/auto-reply.js";
import dmarcMitigation from "./rules/dmarc-mitigation.js";
import emergency from "./rules/emergency.js";
import headerMatch from "./rules/header-match.js";
import implicitDestination from "./rules/implicit-destination.js";
import loop from "./rules/loop.js";
import maxRecipients from "./rules/max-recipients.js";
import maxSize from "./rules/max-size.js";
import memberModeration from "./rules/member-moderation.js";
import newsModeration from "./rules/news-moderation.js";
import noSenders from "./rules/no-senders.js";
import noSubject from "./rules/no-subject.js";
import nonmemberModeration from "./rules/nonmember-moderation.js";
import suspiciousHeader from "./rules/suspicious-header.js";
import type { Rule, RuleInput } from "./rules/rule.js";

export const POSTING_CHAIN: readonly Rule[] = [
  dmarcMitigation,
  noSenders,
  approved,
  emergency,
  loop,
  bannedAddress,
  // Before member-moderation, whose shortcut would accept a member's vacation reply;
  // after approved, so a post carrying the moderator password still goes out.
  autoReply,
  memberModeration,
  headerMatch,
  nonmemberModeration,
  administrivia,
  implicitDestination,
  maxRecipients,
  maxSize,
  newsModeration,
  noSubject,
  // Mailman's digests rule (a digest sent back to the list) stands here; mailroom sends no digests.
  suspiciousHeader,
];

export async function runChain(input: RuleInput, rules: readonly Rule[] = POSTING_CHAIN): Promise<Decision> {
  const { ctx } = input;
  for (const rule of rules) {
    const result = await rule.check(input);
    if (!result.hit) {
      ctx.ruleMisses.push(rule.name);
      continue;
    }
    ctx.ruleHits.push(rule.name);
    if (result.action === "collect") {
      ctx.moderationReasons.push(result.reason);
      continue;
    }
    return { outcome: result.action, rule: rule.name, reasons: [result.reason] };
  }
  if (ctx.moderationReasons.length > 0) {
    return { outcome: "hold", rule: ctx.ruleHits.at(-1) ?? null, reasons: [...ctx.moderationReasons] };
  }
  return { outcome: "accept", rule: null, reasons: [] };
}
