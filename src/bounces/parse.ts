// Reads a message sent to a list's -bounces address and says who bounced and how:
// the format table (formats.ts: RFC 3464 report, X-Failed-Recipients, then the
// pattern rows) names the failed addresses and the row that found them; a VERP'd
// envelope recipient, when there is one, names the member. A message no row reads
// that a program marked as written by it (a vacation reply, RFC 3834) is no bounce
// at all, VERP or not. Called by the "bounces" queue handler.
import { detect } from "./formats.js";
import { readBounceMessage, type BounceMessage } from "./message.js";
import type { BounceReport, BouncedRecipient } from "../domain/bounce-report.js";
import { autoSubmittedMarker, headerMapOf, isRobotAddress } from "../domain/auto-generated.js";
import { RawMessage } from "../domain/raw-message.js";

export type { BounceReport, BouncedRecipient, BounceClass } from "../domain/bounce-report.js";

export interface ParseOptions {
  /** The member address decoded from the VERP'd envelope recipient (decodeVerp), if any. */
  verpAddress?: string | null;
}

/**
 * The auto-reply marker of a message that is not a delivery report, or null. Real
 * reports carry Auto-Submitted too (Postfix: auto-replied), so a report format
 * (multipart/report, or a row that found recipients, checked by the caller) or
 * a MAILER-DAEMON/postmaster sender makes it a bounce whatever its headers say.
 */
function autoReplyMarker(raw: Buffer): string | null {
  let msg: RawMessage;
  try {
    msg = RawMessage.parse(raw);
  } catch {
    return null;
  }
  if (/^\s*multipart\/report\b/i.test(msg.get("Content-Type") ?? "")) return null;
  if (msg.addresses("From").some((a) => isRobotAddress(a.address))) return null;
  return autoSubmittedMarker(headerMapOf(msg));
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
  const autoReply = found ? null : autoReplyMarker(raw);
  if (autoReply) return { ...base, recognised: false, format: "auto-reply", recipients: [], autoReply };
  if (opts.verpAddress) {
    // The VERP address names the member (the report may name a forwarded address);
    // a report of delays only means "still trying".
    const temporary = !!found && found.recipients.every((r) => r.kind === "temporary");
    const detail = found?.recipients.find((r) => r.address.toLowerCase() === opts.verpAddress!.toLowerCase()) ?? found?.recipients[0];
    const recipient: BouncedRecipient = {
      address: opts.verpAddress,
      kind: temporary ? "temporary" : "permanent",
      ...(detail?.status ? { status: detail.status } : {}),
      ...(detail?.reason ? { reason: detail.reason } : {}),
    };
    return { ...base, recognised: true, format: found ? `verp+${found.format}` : "verp", recipients: [recipient] };
  }
  if (!found) return { ...base, recognised: false, format: "unrecognised", recipients: [] };
  return { ...base, recognised: true, ...found };
}
