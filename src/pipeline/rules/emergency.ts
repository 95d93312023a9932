// emergency (Mailman rules/emergency.py): while the list is in emergency moderation,
// every post waits for a moderator (unless a moderator already approved it).
import { hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "emergency",
  description: "The mailing list is in emergency hold and this message was not pre-approved by the list administrator.",
  check({ list, ctx }) {
    return list.emergency && !ctx.moderatorApproved ? hit("hold", "Emergency moderation is in effect for this list") : MISS;
  },
};

export default rule;
