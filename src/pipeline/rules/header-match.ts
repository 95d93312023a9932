// header-match (Mailman chains/headers.py with the list's header_matches): each
// {header, pattern, action} is tried in order against every value of that header,
// case-insensitively; the first match decides. "defer" only collects a reason.
import { hit, MISS, type Rule } from "./rule.js";

interface HeaderMatch { header: string; pattern: string; action: string }

const ACTIONS = new Set(["accept", "hold", "reject", "discard"]);

const rule: Rule = {
  name: "header-match",
  description: "Match the list's header filters (header_matches).",
  check({ msg, list }) {
    const matches = Array.isArray(list.headerMatches) ? (list.headerMatches as unknown as HeaderMatch[]) : [];
    for (const m of matches) {
      let re: RegExp;
      try { re = new RegExp(m.pattern, "i"); } catch { continue; } // checked on input; never crash on old data
      if (!msg.getAll(m.header).some((v) => re.test(v))) continue;
      const reason = `Header "${m.header}" matched a header rule`;
      return hit(ACTIONS.has(m.action) ? (m.action as "accept") : "collect", reason);
    }
    return MISS;
  },
};

export default rule;
