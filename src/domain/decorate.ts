// Header and footer decoration of a post (Mailman handlers/decorate.py), pure.
// The pipeline's decorate handler calls it once per post in bulk mode; delivery
// calls it once per member in personalised mode (with the member, so $user_*
// placeholders are filled). Text is added inline to text/plain bodies, as extra
// parts to multipart/mixed, and by wrapping anything else in a multipart/mixed.
import { createHash } from "node:crypto";
import { parseHeaderValue } from "nodemailer/lib/mime-funcs";
import { RawMessage } from "./raw-message.js";
import { expand } from "./template-text.js";

/** What decoration needs of a list (a MailingList row has all of it). */
export interface DecorationSettings {
  listName: string;
  mailHost: string;
  listId: string;
  displayName: string;
  description: string;
  msgHeader: string;
  msgFooter: string;
}

export interface DecorationMember {
  address: string;
  displayName?: string;
  /** Extra placeholders, e.g. a one-click unsubscribe URL delivery computes per member. */
  vars?: Record<string, string>;
}

/** Mailman's placeholder names for list and member (templates use $name or ${name}). */
export function placeholders(list: DecorationSettings, member?: DecorationMember): Record<string, string> {
  const posting = `${list.listName}@${list.mailHost}`;
  const vars: Record<string, string> = {
    list_id: list.listId,
    listname: posting,
    fqdn_listname: posting,
    short_listname: list.listName,
    display_name: list.displayName,
    domain: list.mailHost,
    request_email: `${list.listName}-request@${list.mailHost}`,
    owner_email: `${list.listName}-owner@${list.mailHost}`,
    description: list.description,
    info: list.description,
  };
  if (member) {
    Object.assign(vars, {
      user_address: member.address,
      user_delivered_to: member.address,
      user_email: member.address,
      user_name: member.displayName || member.address,
    }, member.vars ?? {});
  }
  return vars;
}

/** Replaces $name and ${name}; unknown names stay as written (Mailman's expand()). */
export const interpolate = expand;

/**
 * The message with the list's header and footer added. Returns `raw` itself when
 * there is nothing to add. DKIM signatures are removed when the body changes:
 * they would fail at every receiver (Mailman's cleanse_dkim).
 */
export function decorate(raw: Buffer, list: DecorationSettings, member?: DecorationMember): Buffer {
  const vars = placeholders(list, member);
  const header = interpolate(list.msgHeader, vars);
  const footer = interpolate(list.msgFooter, vars);
  if (header.trim() === "" && footer.trim() === "") return raw;
  const msg = RawMessage.parse(raw);
  msg.remove("DKIM-Signature");
  if (!(inlineText(msg, header, footer) || addParts(msg, header, footer))) wrap(msg, header, footer);
  return msg.toBuffer();
}

interface ContentType { type: string; params: Record<string, string> }

function contentType(msg: RawMessage): ContentType | null {
  const raw = msg.get("Content-Type");
  if (raw === undefined) return null;
  const parsed = parseHeaderValue(raw);
  return { type: String(parsed.value).trim().toLowerCase(), params: parsed.params as Record<string, string> };
}

const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);
const IDENTITY_CTE = new Set(["", "7bit", "8bit", "binary"]);

/** text/plain in an identity encoding and a charset the text can be written in: add inline. */
function inlineText(msg: RawMessage, header: string, footer: string): boolean {
  const ct = contentType(msg);
  if (ct && ct.type !== "text/plain") return false;
  const cte = (msg.get("Content-Transfer-Encoding") ?? "").trim().toLowerCase();
  if (!IDENTITY_CTE.has(cte)) return false;
  const charset = (ct?.params.charset ?? "us-ascii").toLowerCase();
  const plain = isAscii(header) && isAscii(footer);
  if (!plain && charset !== "utf-8" && charset !== "utf8") {
    if (charset !== "us-ascii" || !isAscii(msg.body.toString("latin1"))) return false;
    // An ASCII body is valid UTF-8: relabel it so the decoration's characters are legal.
    if (ct) msg.setRaw("Content-Type", withCharsetUtf8(msg.getRaw("Content-Type")!));
    else {
      if (!msg.has("MIME-Version")) msg.append("MIME-Version", "1.0");
      msg.append("Content-Type", 'text/plain; charset="utf-8"');
    }
    if (cte === "" || cte === "7bit") msg.set("Content-Transfer-Encoding", "8bit");
  } else if (!plain && !msg.has("Content-Transfer-Encoding")) {
    msg.append("Content-Transfer-Encoding", "8bit");
  }
  const eol = msg.eol;
  const text = msg.body.toString("latin1");
  const head = header.trim() === "" ? "" : withEol(header, eol);
  const sep = footer.trim() !== "" && text !== "" && !text.endsWith("\n") ? eol : "";
  const foot = footer.trim() === "" ? "" : withEol(footer, eol);
  msg.body = Buffer.concat([Buffer.from(head, "utf8"), msg.body, Buffer.from(sep + foot, "utf8")]);
  return true;
}

function withCharsetUtf8(rawCt: string): string {
  return /charset\s*=/i.test(rawCt)
    ? rawCt.replace(/charset\s*=\s*("[^"]*"|[^;\s]*)/i, 'charset="utf-8"')
    : `${rawCt}; charset="utf-8"`;
}

/** multipart/mixed: the header becomes the first part, the footer the last. */
function addParts(msg: RawMessage, header: string, footer: string): boolean {
  const ct = contentType(msg);
  const boundary = ct?.params.boundary;
  if (!ct || ct.type !== "multipart/mixed" || !boundary) return false;
  const body = msg.body.toString("latin1");
  const first = delimiterAt(body, `--${boundary}`, "first");
  const close = delimiterAt(body, `--${boundary}--`, "last");
  if (first < 0 || close < 0 || close < first) return false;
  const eol = msg.eol;
  const headPart = header.trim() === "" ? "" : `--${boundary}${eol}${textPart(header, eol)}`;
  const footPart = footer.trim() === "" ? "" : `--${boundary}${eol}${textPart(footer, eol)}`;
  const latin1 = (s: string) => Buffer.from(s, "utf8").toString("latin1");
  msg.body = Buffer.from(
    body.slice(0, first) + latin1(headPart) + body.slice(first, close) + latin1(footPart) + body.slice(close),
    "latin1",
  );
  return true;
}

/** Index of a boundary delimiter that starts a line, or -1. */
function delimiterAt(body: string, delimiter: string, which: "first" | "last"): number {
  const re = new RegExp(`(^|\\n)${delimiter.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[ \\t]*(\\r?\\n|$)`, "g");
  let found = -1;
  for (const m of body.matchAll(re)) {
    found = m.index! + m[1]!.length;
    if (which === "first") break;
  }
  return found;
}

/** A text/plain MIME part (headers, blank line, text) for decoration. */
function textPart(text: string, eol: string): string {
  const cte = isAscii(text) ? "7bit" : "8bit";
  return `Content-Type: text/plain; charset="utf-8"${eol}Content-Transfer-Encoding: ${cte}${eol}` +
    `Content-Disposition: inline${eol}${eol}${withEol(text, eol)}`;
}

const CONTENT_FIELDS = [
  "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-Description",
  "Content-ID", "Content-Language", "Content-Location", "Content-MD5",
];

/**
 * Anything else (HTML only, base64 text, multipart/alternative, multipart/signed):
 * the original entity becomes the middle part of a new multipart/mixed, untouched,
 * so signatures inside it stay valid (Mailman wraps the same way).
 */
function wrap(msg: RawMessage, header: string, footer: string): void {
  const eol = msg.eol;
  const inner = msg.fields.filter((f) => CONTENT_FIELDS.some((n) => n.toLowerCase() === f.name.toLowerCase()));
  for (const n of CONTENT_FIELDS) msg.remove(n);
  const boundary = `===============${createHash("sha1").update(msg.body).digest("hex").slice(0, 24)}==`;
  const innerHead = inner.length ? inner.map((f) => f.raw + eol).join("") : `Content-Type: text/plain${eol}`;
  const parts: string[] = [];
  if (header.trim() !== "") parts.push(Buffer.from(textPart(header, eol), "utf8").toString("latin1"));
  const original = `${innerHead}${eol}${msg.body.toString("latin1")}`;
  parts.push(original);
  if (footer.trim() !== "") parts.push(Buffer.from(textPart(footer, eol), "utf8").toString("latin1"));
  const text = parts.map((p) => `--${boundary}${eol}${p.endsWith("\n") ? p : p + eol}`).join("") + `--${boundary}--${eol}`;
  if (!msg.has("MIME-Version")) msg.append("MIME-Version", "1.0");
  msg.append("Content-Type", `multipart/mixed; boundary="${boundary}"`);
  msg.body = Buffer.from(text, "latin1");
}

function withEol(text: string, eol: string): string {
  const normalised = text.replace(/\r?\n/g, eol);
  return normalised.endsWith(eol) ? normalised : normalised + eol;
}

/** Decoration settings from a list row (or anything shaped like one). */
export function decorationSettingsOf(list: DecorationSettings): DecorationSettings {
  const { listName, mailHost, listId, displayName, description, msgHeader, msgFooter } = list;
  return { listName, mailHost, listId, displayName, description, msgHeader, msgFooter };
}
