// Mailman's bounce_matching_headers text (rules/suspicious.py): one `Header: regexp`
// per line, blank lines and lines starting with # skipped, leading blanks of the
// regexp trimmed, matched case-insensitively anywhere in each value of the header.
// Used by the suspicious-header rule (a list's setting and the site's file, config)
// and by the settings check, which refuses a line Mailman would only log and skip.
export interface HeaderPattern {
  header: string;
  regexp: RegExp;
  /** The line as written, for logs and reasons. */
  line: string;
}

export interface HeaderPatternError {
  line: string;
  problem: string;
}

export function parseHeaderPatterns(text: string): { patterns: HeaderPattern[]; errors: HeaderPatternError[] } {
  const patterns: HeaderPattern[] = [];
  const errors: HeaderPatternError[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) {
      errors.push({ line, problem: "not of the form Header: regexp" });
      continue;
    }
    try {
      patterns.push({ header: line.slice(0, colon).trim(), regexp: new RegExp(line.slice(colon + 1).trimStart(), "i"), line });
    } catch (err) {
      errors.push({ line, problem: (err as Error).message });
    }
  }
  return { patterns, errors };
}
