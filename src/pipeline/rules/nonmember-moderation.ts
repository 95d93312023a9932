// nonmember-moderation (Mailman rules/moderation.py): a post from someone who is not
// a member (nor owner/moderator) follows that nonmember's own action if a moderator
// set one (a Member row with role nonmember), else defaultNonmemberAction (hold).
import { moderationResult } from "./member-moderation.js";
import { MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "nonmember-moderation",
  description: "Match messages sent by non-members.",
  check({ list, senderRows }) {
    if (senderRows.some((m) => m.role !== "nonmember")) return MISS;
    const nonmember = senderRows.find((m) => m.role === "nonmember");
    return moderationResult(nonmember?.moderationAction ?? list.defaultNonmemberAction, "The message is not from a list member");
  },
};

export default rule;
