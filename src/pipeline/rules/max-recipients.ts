// max-recipients (Mailman rules/max_recipients.py): a post addressed to many people
// at once (To + Cc) is often spam; at maxNumRecipients or more it is held.
import { destinations, hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "max-recipients",
  description: "Catch messages with too many explicit recipients.",
  check({ msg, list }) {
    if (list.maxNumRecipients <= 0) return MISS;
    const count = new Set(destinations(msg)).size;
    return count >= list.maxNumRecipients ? hit("collect", `Message has more than ${list.maxNumRecipients - 1} recipients`) : MISS;
  },
};

export default rule;
