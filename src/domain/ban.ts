// Mailman's ban semantics (model/bans.py is_banned): a ban is an exact address,
// compared lower-cased, or, when it starts with `^`, a regular expression matched
// case-insensitively from the start of the address. Pure: callers load the bans
// that apply (the list's and the global ones).
import { invalid } from "./errors.js";

/** The stored form of a ban: patterns as given, addresses lower-cased; 400 for a pattern that does not compile. */
export function normaliseBan(raw: string): string {
  const text = raw.trim();
  if (text.length === 0 || text.length > 1000) throw invalid(`email: "${raw}" is not an address or a ^pattern`);
  if (!text.startsWith("^")) return text.toLowerCase();
  try {
    new RegExp(text, "i");
  } catch {
    throw invalid(`email: "${raw}" is not a valid regular expression`);
  }
  return text;
}

const compiled = new Map<string, RegExp | null>();
function pattern(ban: string): RegExp | null {
  let re = compiled.get(ban);
  if (re === undefined) {
    try { re = new RegExp(ban, "i"); } catch { re = null; } // stored before validation existed: never matches
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(ban, re);
  }
  return re;
}

export function isBanned(bans: readonly string[], email: string): boolean {
  const key = email.toLowerCase();
  // A pattern also names itself (Mailman looks the text up exactly before trying patterns).
  return bans.some((b) => b === key || b === email || (b.startsWith("^") && pattern(b)?.test(email) === true));
}
