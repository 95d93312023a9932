// Reads a message sent to a list's -bounces address and says who bounced and how:
// the format table (formats.ts: RFC 3464 report, X-Failed-Recipients, then the
// pattern rows) names the failed addresses and the row that found them; a VERP'd
// envelope recipient, when there is one, names the member. Called by the "bounces"
// queue handler.
import { detect } from "./formats.js";
import { readBounceMessage, type BounceMessage } from "./message.js";
import type { BounceReport, BouncedRecipient } from "../domain/bounce-report.js";

export type { BounceReport, BouncedRecipient, BounceClass } from "../domain/bounce-report.js";

export interface ParseOptions {
  /** The member address decoded from the VERP'd envelope recipient (decodeVerp), if any. */
  verpAddress?: string | null;
}

export async function parseBounce(raw: Buffer, opts: ParseOptions = {}): Promise<BounceReport> {
  let msg: BounceMessage | null = null;
  try {
    msg = await readBounceMessage(raw);
  } catch {
    // Unparseable: VERP may still name the member; otherwise the owners get it.
  }
  const found = msg ? detect(msg) : null;
  const base = { messageId: msg?.header("message-id") ?? "", subject: msg?.header("subject") ?? "" };
  if (opts.verpAddress && found) {
    // The VERP address names the member (the report may name a forwarded address), but
    // as in Mailman 3.3's bounce runner a VERP'd message counts only when it reads as a
    // bounce: an autoreply sent to the return path is not one. A report of only delays
    // means "still trying".
    const temporary = found.recipients.every((r) => r.kind === "temporary");
    const detail = found.recipients.find((r) => r.address.toLowerCase() === opts.verpAddress!.toLowerCase()) ?? found.recipients[0];
    const recipient: BouncedRecipient = {
      address: opts.verpAddress,
      kind: temporary ? "temporary" : "permanent",
      ...(detail?.status ? { status: detail.status } : {}),
      ...(detail?.reason ? { reason: detail.reason } : {}),
    };
    return { ...base, recognised: true, format: `verp+${found.format}`, recipients: [recipient] };
  }
  if (!found) return { ...base, recognised: false, format: "unrecognised", recipients: [] };
  return { ...base, recognised: true, ...found };
}
