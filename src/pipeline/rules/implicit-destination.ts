// implicit-dest (Mailman rules/implicit_dest.py): with requireExplicitDestination,
// a post that names neither the list nor one of its acceptable aliases in To/Cc
// (a Bcc, or a forward from another list) is held. Aliases starting with "^" are
// regular expressions, as in Mailman.
import { postingAddress } from "../../domain/list-address.js";
import { destinations, hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "implicit-dest",
  description: "The message does not have an explicit destination.",
  check({ msg, list }) {
    if (!list.requireExplicitDestination) return MISS;
    const dests = destinations(msg);
    const own = postingAddress(list).toLowerCase();
    if (dests.includes(own)) return MISS;
    for (const alias of list.acceptableAliases) {
      const a = alias.trim();
      if (a.startsWith("^")) {
        let re: RegExp | null = null;
        try { re = new RegExp(a, "i"); } catch { /* a bad pattern matches nothing */ }
        if (re && dests.some((d) => re!.test(d))) return MISS;
      } else if (dests.includes(a.toLowerCase())) {
        return MISS;
      }
    }
    return hit("collect", "Message has implicit destination");
  },
};

export default rule;
