// The table of bounce formats, in the order they are tried: an RFC 3464 report
// first, then Exim's X-Failed-Recipients header, then the pattern rows
// (patterns.ts). The first row that finds an address decides, and its name is the
// verdict's format (as flufl.bounce stops at its first detector with a result).
// Pure; called by parse.ts.
import type { BounceClass, BouncedRecipient } from "../domain/bounce-report.js";
import { looksLikeDeliveryStatus, parseDeliveryStatus } from "./dsn.js";
import type { BounceMessage } from "./message.js";
import { BOUNCE_PATTERNS } from "./patterns.js";
import { isWarning, recipientsOf, scanPattern } from "./scan.js";

export interface BounceFormat {
  name: string;
  read(msg: BounceMessage): BouncedRecipient[];
}

const REPORT_TYPES = new Set(["message/delivery-status", "message/global-delivery-status"]);

/** Text of the bounce's own parts: where a delay warning says so. */
const outerText = (msg: BounceMessage) => msg.parts.filter((p) => p.depth === 0 && p.type.startsWith("text/")).map((p) => p.text).join("\n");

/** Warning phrases turn a pattern's or the header's verdict into "temporary" (flufl.bounce says permanent). */
const classFor = (msg: BounceMessage, fixed?: BounceClass): BounceClass => fixed ?? (isWarning(outerText(msg)) ? "temporary" : "permanent");

/** The addresses with their class; the class is only worked out when there is an address. */
const verdict = (addresses: string[], msg: BounceMessage, fixed?: BounceClass): BouncedRecipient[] =>
  addresses.length ? recipientsOf(addresses, classFor(msg, fixed)) : [];

const dsn: BounceFormat = {
  name: "dsn",
  read(msg) {
    // Report parts at any depth: a forwarded bounce carries its report inside message/rfc822.
    const reports = msg.parts.filter((p) => REPORT_TYPES.has(p.type));
    // Without one, some MTAs put the same fields in their text/plain part.
    const texts = reports.length ? reports : msg.parts.filter((p) => p.depth === 0 && p.type === "text/plain" && looksLikeDeliveryStatus(p.text));
    return texts.flatMap((p) => parseDeliveryStatus(p.text));
  },
};

const xFailedRecipients: BounceFormat = {
  // Exim (and Gmail) list the failed addresses in a header of the bounce.
  name: "x-failed-recipients",
  read(msg) {
    const addresses = msg.headers("x-failed-recipients").flatMap((v) => v.match(/[^\s<>,;"()]+@[^\s<>,;"()]+/g) ?? []);
    return verdict(addresses, msg);
  },
};

export const BOUNCE_FORMATS: BounceFormat[] = [
  dsn,
  xFailedRecipients,
  ...BOUNCE_PATTERNS.map((p): BounceFormat => ({ name: p.name, read: (msg) => verdict(scanPattern(msg, p), msg, p.kind) })),
];

/** The first row with a result, or null: nothing in the message names a failed address. */
export function detect(msg: BounceMessage, formats: BounceFormat[] = BOUNCE_FORMATS): { format: string; recipients: BouncedRecipient[] } | null {
  for (const f of formats) {
    const recipients = f.read(msg);
    if (recipients.length) return { format: f.name, recipients };
  }
  return null;
}
