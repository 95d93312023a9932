// suspicious-header (Mailman rules/suspicious.py): a post with a header matching a
// line of the list's bounceMatchingHeaders (`Header: regexp`, Mailman's
// bounce_matching_headers), or of the site's MAILROOM_SUSPICIOUS_HEADERS_FILE, is held
// with the reason, last in the chain as in Mailman. Lines are parsed and checked in
// domain/header-patterns.ts.
import { parseHeaderPatterns, type HeaderPattern } from "../../domain/header-patterns.js";
import type { RawMessage } from "../../domain/raw-message.js";
import { hit, MISS, type Rule } from "./rule.js";

function firstMatch(msg: RawMessage, patterns: readonly HeaderPattern[]): HeaderPattern | undefined {
  return patterns.find((p) => msg.getAll(p.header).some((v) => p.regexp.test(v)));
}

const rule: Rule = {
  name: "suspicious-header",
  description: "Catch messages with suspicious headers.",
  check({ msg, list, siteSuspiciousHeaders }) {
    // Lines were checked on input; a bad one in old data is skipped, as Mailman skips it.
    const own = list.bounceMatchingHeaders ? firstMatch(msg, parseHeaderPatterns(list.bounceMatchingHeaders).patterns) : undefined;
    if (own) return hit("collect", `Header "${own.header}" matched a bounce_matching_header line`);
    const site = firstMatch(msg, siteSuspiciousHeaders ?? []);
    if (site) return hit("collect", `Header "${site.header}" matched a site suspicious-header line`);
    return MISS;
  },
};

export default rule;
