// max-size (Mailman rules/max_size.py): a post larger than maxMessageSize KB is held.
import { hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "max-size",
  description: "Catch messages that are bigger than a specified maximum.",
  check({ size, list }) {
    if (list.maxMessageSize <= 0) return MISS;
    return size / 1024 > list.maxMessageSize
      ? hit("collect", `The message is larger than the ${list.maxMessageSize} KB maximum size`)
      : MISS;
  },
};

export default rule;
