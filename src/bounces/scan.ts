// Applies the pattern table (patterns.ts) to a bounce's text: finds the first format
// whose region lists at least one failed address. Pure; called by parse.ts.
import { BOUNCE_PATTERNS, DEFAULT_END, MAX_REGION_LINES, WARNING_MARKERS, type BouncePattern } from "./patterns.js";
import type { BounceClass, BouncedRecipient } from "../domain/bounce-report.js";

export interface ScanResult { format: string; recipients: BouncedRecipient[] }

export function isWarning(text: string): boolean {
  return WARNING_MARKERS.some((re) => re.test(text));
}

function regionLines(text: string, p: BouncePattern): string[] | null {
  const start = p.start.exec(text);
  if (!start) return null;
  const from = text.lastIndexOf("\n", start.index) + 1;
  const afterStart = text.indexOf("\n", start.index + start[0].length);
  let rest = text.slice(from);
  // The end marker is looked for after the start line, so a one-line region ends at its own newline.
  const tailFrom = afterStart < 0 ? rest.length : afterStart - from;
  const tail = rest.slice(tailFrom);
  const ends = [p.end, DEFAULT_END].flatMap((re) => {
    if (!re) return [];
    const m = re.exec(tail);
    return m ? [tailFrom + m.index] : [];
  });
  if (ends.length) rest = rest.slice(0, Math.min(...ends));
  return rest.split("\n").slice(0, MAX_REGION_LINES);
}

export function scanPatterns(text: string, patterns: BouncePattern[] = BOUNCE_PATTERNS): ScanResult | null {
  const normalised = text.replace(/\r\n?/g, "\n");
  const warning = isWarning(normalised);
  for (const p of patterns) {
    const lines = regionLines(normalised, p);
    if (!lines) continue;
    const kind: BounceClass = p.kind ?? (warning ? "temporary" : "permanent");
    const seen = new Set<string>();
    const recipients: BouncedRecipient[] = [];
    for (const line of lines) {
      const m = p.address.exec(line);
      const address = m?.slice(1).find((g) => g !== undefined && g.includes("@"));
      if (!address || seen.has(address.toLowerCase())) continue;
      seen.add(address.toLowerCase());
      recipients.push({ address, kind });
    }
    if (recipients.length) return { format: p.name, recipients };
  }
  return null;
}
