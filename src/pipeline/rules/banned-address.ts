// banned-address (Mailman rules/banned_address.py): a post from an address banned
// on this list or globally is discarded, right after the loop check.
import { isBanned } from "../../domain/ban.js";
import { hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "banned-address",
  description: "Match messages sent by banned addresses.",
  check({ ctx, bans }) {
    const banned = ctx.senders.find((s) => isBanned(bans, s));
    return banned ? hit("discard", `Message sender ${banned} is banned from this list`) : MISS;
  },
};

export default rule;
