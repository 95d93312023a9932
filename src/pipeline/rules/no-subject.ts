// no-subject (Mailman rules/no_subject.py): a post without a subject is held.
import { hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "no-subject",
  description: "Catch messages with no, or empty, Subject headers.",
  check({ msg }) {
    return (msg.get("Subject") ?? "").trim() === "" ? hit("collect", "Message has no subject") : MISS;
  },
};

export default rule;
