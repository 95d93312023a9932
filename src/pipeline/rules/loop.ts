// loop (Mailman rules/loop.py): a post that already went through this list carries
// our X-BeenThere header; sending it again would loop, so it is discarded.
import { postingAddress } from "../../domain/list-address.js";
import { hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "loop",
  description: "Look for a posting loop.",
  check({ msg, list }) {
    const own = postingAddress(list).toLowerCase();
    const seen = msg.getAll("X-BeenThere").some((v) => v.trim().replace(/^<|>$/g, "").toLowerCase() === own);
    return seen ? hit("discard", "The message has already been through this list (X-BeenThere)") : MISS;
  },
};

export default rule;
