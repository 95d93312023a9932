// no-senders (Mailman rules/no_senders.py): a post with no sender at all — no From,
// Sender or Reply-To address and a null envelope sender — is discarded, right after
// the DMARC check (Mailman's chain position): nobody could be told or moderated.
import { hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "no-senders",
  description: "Match messages with no valid senders.",
  check({ ctx, msg }) {
    // ctx.senders holds From, Sender and the envelope sender; Mailman counts Reply-To too.
    if (ctx.senders.length > 0 || msg.addresses("Reply-To").length > 0) return MISS;
    return hit("discard", "The message has no valid senders");
  },
};

export default rule;
