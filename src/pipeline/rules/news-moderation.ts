// news-moderation (Mailman rules/news_moderation.py): a list gatewayed to a moderated
// newsgroup (newsgroupModeration `moderated`, Mailman's NewsgroupModeration) holds
// every post for the moderators; `open_moderated` and `none` pass. It collects a
// reason, between max-size and no-subject as in Mailman's chain.
import { hit, MISS, type Rule } from "./rule.js";

const rule: Rule = {
  name: "news-moderation",
  description: "Match all messages posted to a mailing list that gateways to a moderated newsgroup.",
  check({ list }) {
    return list.newsgroupModeration === "moderated" ? hit("collect", "Post to a moderated newsgroup gateway") : MISS;
  },
};

export default rule;
