// member-moderation (Mailman rules/moderation.py): a post from a member follows the
// member's own moderation action, else the list's defaultMemberAction. Owners and
// moderators post freely unless given an action of their own. "defer" means no
// shortcut: the remaining rules decide.
import type { Action } from "../../generated/prisma/client.js";
import { hit, MISS, type Rule, type RuleResult } from "./rule.js";

const rule: Rule = {
  name: "member-moderation",
  description: "Match messages sent by moderated members.",
  check({ list, senderRows }) {
    const member = senderRows.find((m) => m.role !== "nonmember");
    if (!member) return MISS;
    const action: Action = member.moderationAction ??
      (member.role === "member" ? list.defaultMemberAction : "accept");
    return moderationResult(action, "The message comes from a moderated member");
  },
};

/** A moderation action as a rule result (shared with nonmember-moderation). */
export function moderationResult(action: Action, holdReason: string): RuleResult {
  switch (action) {
    case "defer": return MISS;
    case "accept": return hit("accept", "moderation action accept");
    case "hold": return hit("hold", holdReason);
    case "reject": return hit("reject", "You are not allowed to post to this mailing list, and your message has been automatically rejected.");
    case "discard": return hit("discard", "moderation action discard");
  }
}

export default rule;
