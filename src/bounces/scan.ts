// Applies one row of the pattern table (patterns.ts) to a bounce: picks the parts
// the row reads, finds its region and collects the addresses in it. Pure; called by
// the format table in formats.ts.
import { VALID_ADDRESS, WARNING_MARKERS, type BouncePattern } from "./patterns.js";
import type { BouncePart, BounceMessage } from "./message.js";
import type { BounceClass, BouncedRecipient } from "../domain/bounce-report.js";

const isText = (p: BouncePart) => p.type.startsWith("text/") || p.type === "message/delivery-status";

export function isWarning(text: string): boolean {
  return WARNING_MARKERS.some((re) => re.test(text));
}

function partsFor(msg: BounceMessage, p: BouncePattern): BouncePart[] {
  switch (p.parts ?? "outer") {
    case "outer": return msg.parts.filter((x) => x.depth === 0 && isText(x));
    case "first": return msg.parts.slice(0, 1);
    case "first-plain": return msg.parts.filter((x) => x.type === "text/plain").slice(0, 1);
    case "notification": return msg.parts.filter((x) => x.type === "text/plain" && x.description === "notification").slice(0, 1);
  }
}

function applies(msg: BounceMessage, p: BouncePattern): boolean {
  const w = p.when;
  if (!w) return true;
  if (w.from && !w.from.test(msg.header("from"))) return false;
  if (w.xMailer && !w.xMailer.test(msg.header("x-mailer"))) return false;
  if (w.type && !w.type.test(msg.type)) return false;
  return true;
}

/** The addresses the row finds, in order of appearance; the start line is read as well. */
export function scanPattern(msg: BounceMessage, p: BouncePattern): string[] {
  if (!applies(msg, p)) return [];
  const lines = partsFor(msg, p).flatMap((x) => x.lines);
  const found: string[] = [];
  let inRegion = !p.start;
  let seen = 0;
  let atStart = false;
  for (const line of lines) {
    if (!inRegion) {
      if (!p.start!.test(line)) continue;
      inRegion = true;
      atStart = true;
    }
    if (p.maxLines !== undefined && seen++ >= p.maxLines) break;
    const m = p.address.exec(line);
    const captured = m?.slice(1).find((g) => g !== undefined && g !== "");
    if (captured) {
      const bare = !captured.includes("@");
      const addresses = bare ? (p.bareLocalDomains ?? []).map((d) => `${captured}@${d}`) : [captured];
      found.push(...addresses.filter((a) => VALID_ADDRESS.test(a)));
      if (p.single && found.length) break;
      atStart = false;
      continue;
    }
    // The line that opened the region never closes it.
    if (!atStart && p.end?.test(line)) break;
    atStart = false;
  }
  return found;
}

export function recipientsOf(addresses: string[], kind: BounceClass): BouncedRecipient[] {
  const seen = new Set<string>();
  return addresses
    .filter((a) => !seen.has(a.toLowerCase()) && !!seen.add(a.toLowerCase()))
    .map((address) => ({ address, kind }));
}
