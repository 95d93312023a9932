// dmarc-mitigation (Mailman rules/dmarc.py): a post From: a domain whose DMARC policy
// is quarantine or reject would fail DMARC at receivers once the list changes it.
// For munge_from/wrap_message the rule misses but marks the context so the dmarc
// handler rewrites From; for reject/discard it hits and decides.
import { hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "dmarc-mitigation",
  description: "Find DMARC policy of From: domain.",
  async check({ msg, list, ctx, dmarc }) {
    const action = list.dmarcMitigateAction;
    if (action === "no_mitigation") return MISS;
    const from = msg.addresses("From")[0];
    if (!from) return MISS;
    const domain = from.address.slice(from.address.lastIndexOf("@") + 1);
    const policy = await dmarc.policy(domain).catch(() => null);
    const strict = policy === "quarantine" || policy === "reject";
    if (action === "munge_from" || action === "wrap_message") {
      if (strict || list.dmarcMitigateUnconditionally) ctx.dmarc = action;
      return MISS;
    }
    if (!strict) return MISS;
    if (action === "discard") return hit("discard", "DMARC moderation");
    return hit("reject", list.dmarcModerationNotice ||
      "You are not allowed to post to this mailing list From: a domain which publishes a DMARC policy of " +
      `reject or quarantine, and your message has been automatically rejected. If you think that your messages ` +
      `are being rejected in error, contact the mailing list owner at ${list.listName}-owner@${list.mailHost}.`);
  },
};

export default rule;
