// Builds one member's copy of a personalised post: per-member decoration
// (domain/decorate.ts, passed in by handler.ts), `To:` for full personalisation, and with a public URL
// the RFC 8058 one-click `List-Unsubscribe` pair carrying the member's signed token.
// Works on raw bytes: only the header block is touched, the body is passed through.
// Called by send-chunk.ts for each member of a VERP chunk.
import { signUnsubscribeToken } from "../domain/unsubscribe-token.js";
import { subaddressOf } from "../domain/list-address.js";
import { formatMailbox } from "../domain/raw-message.js";

export interface ListForCopy {
  listId: string;
  listName: string;
  mailHost: string;
}

export interface MemberForCopy {
  address: string;
  displayName: string;
}

/** Per-member decoration (header/footer with member fields); identity until one is wired in. */
export type DecorateMember = (raw: Buffer, member: MemberForCopy) => Buffer;

export interface CopyOptions {
  personalize: "none" | "individual" | "full";
  publicUrl: string | null;
  secret: string;
  decorate: DecorateMember | null;
}

export function memberCopy(raw: Buffer, list: ListForCopy, member: MemberForCopy, opts: CopyOptions): Buffer {
  let out = raw;
  if (opts.decorate && opts.personalize !== "none") out = opts.decorate(out, member);
  const set: [string, string][] = [];
  if (opts.personalize === "full") set.push(["To", formatMailbox(member.displayName, member.address)]);
  if (opts.publicUrl) {
    const token = signUnsubscribeToken(opts.secret, { listId: list.listId, address: member.address });
    const leave = subaddressOf(list.listName, list.mailHost, "leave");
    set.push(["List-Unsubscribe", `<${opts.publicUrl}/u/${token}>,\r\n <mailto:${leave}>`]);
    // RFC 8058 one-click requires an HTTPS URI.
    if (/^https:\/\//i.test(opts.publicUrl)) set.push(["List-Unsubscribe-Post", "List-Unsubscribe=One-Click"]);
  }
  return set.length ? replaceHeaders(out, set) : out;
}

/**
 * Removes every occurrence (with folded continuation lines) of the named headers and
 * appends the new values at the end of the header block.
 */
export function replaceHeaders(raw: Buffer, set: [string, string][]): Buffer {
  const { headerEnd, bodyStart, eol } = splitHeader(raw);
  // latin1 maps bytes 1:1, so 8-bit header bytes survive the round trip.
  const header = raw.subarray(0, headerEnd).toString("latin1");
  const names = new Set(set.map(([n]) => n.toLowerCase()));
  const kept: string[] = [];
  let dropping = false;
  for (const line of header.split(/\r?\n/)) {
    if (line === "") continue;
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    const colon = line.indexOf(":");
    dropping = colon > 0 && names.has(line.slice(0, colon).trim().toLowerCase());
    if (!dropping) kept.push(line);
  }
  for (const [name, value] of set) kept.push(`${name}: ${value.replace(/\r\n/g, eol)}`);
  const head = Buffer.from(kept.join(eol) + eol + eol, "latin1");
  return Buffer.concat([head, raw.subarray(bodyStart)]);
}

function splitHeader(raw: Buffer): { headerEnd: number; bodyStart: number; eol: string } {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { headerEnd: crlf, bodyStart: crlf + 4, eol: "\r\n" };
  if (lf >= 0) return { headerEnd: lf, bodyStart: lf + 2, eol: "\n" };
  return { headerEnd: raw.length, bodyStart: raw.length, eol: "\r\n" }; // headers only
}

