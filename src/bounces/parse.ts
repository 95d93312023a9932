// Reads a message sent to a list's -bounces address and says who bounced and how:
// VERP first (the envelope recipient names the member), then an RFC 3464 report,
// then the pattern table, then Exim/Gmail's X-Failed-Recipients header. A message
// none of them reads that a program marked as written by it (a vacation reply,
// RFC 3834) is no bounce at all, VERP or not. Pure apart from mailparser; called
// by the "bounces" queue handler.
import { simpleParser, type ParsedMail } from "mailparser";
import { looksLikeDeliveryStatus, parseDeliveryStatus } from "./dsn.js";
import { isWarning, scanPatterns } from "./scan.js";
import type { BounceReport, BouncedRecipient } from "../domain/bounce-report.js";
import { autoSubmittedMarker, headerMapOf, isRobotAddress } from "../domain/auto-generated.js";
import { RawMessage } from "../domain/raw-message.js";

export type { BounceReport, BouncedRecipient, BounceClass } from "../domain/bounce-report.js";

export interface ParseOptions {
  /** The member address decoded from the VERP'd envelope recipient (decodeVerp), if any. */
  verpAddress?: string | null;
}

const REPORT_TYPES = new Set(["message/delivery-status", "message/global-delivery-status"]);

/** Text parts to read: the body text plus any delivery-status part mailparser kept aside. */
function textsOf(mail: ParsedMail): { body: string; reports: string[] } {
  const reports = mail.attachments
    .filter((a) => REPORT_TYPES.has(a.contentType.toLowerCase()))
    .map((a) => a.content.toString("utf8"));
  return { body: mail.text ?? "", reports };
}

function headerText(mail: ParsedMail, name: string): string {
  const v = mail.headers.get(name);
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : String((v as { text?: string }).text ?? v);
}

function findRecipients(mail: ParsedMail): { format: string; recipients: BouncedRecipient[] } | null {
  const { body, reports } = textsOf(mail);
  // mailparser inlines message/delivery-status into the text; some MTAs' reports stay attachments.
  const dsnText = [...reports, looksLikeDeliveryStatus(body) ? body : ""].join("\n\n");
  const dsn = parseDeliveryStatus(dsnText);
  if (dsn.length) return { format: "dsn", recipients: dsn };
  const scanned = scanPatterns(body);
  if (scanned) return scanned;
  const failed = headerText(mail, "x-failed-recipients");
  if (failed) {
    const kind = isWarning(body) ? "temporary" : "permanent";
    const recipients = failed.split(/[\s,]+/).filter((a) => a.includes("@")).map((address) => ({ address, kind } as const));
    if (recipients.length) return { format: "x-failed-recipients", recipients };
  }
  return null;
}

/**
 * The auto-reply marker of a message that is not a delivery report, or null. Real
 * reports carry Auto-Submitted too (Postfix: auto-replied), so a report format
 * (multipart/report, or a reader that found recipients, checked by the caller) or
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
  let mail: ParsedMail | null = null;
  try {
    mail = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true });
  } catch {
    // Unparseable: VERP may still name the member; otherwise the owners get it.
  }
  const found = mail ? findRecipients(mail) : null;
  const base = { messageId: mail?.messageId ?? "", subject: mail?.subject ?? "" };
  const autoReply = found ? null : autoReplyMarker(raw);
  if (autoReply) return { ...base, recognised: false, format: "auto-reply", recipients: [], autoReply };
  if (opts.verpAddress) {
    // Mailman 3 trusts the VERP address, but a report of only delays means "still trying".
    const temporary = !!found && found.recipients.length > 0 && found.recipients.every((r) => r.kind === "temporary");
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
