// RFC 3464 delivery status notifications: reads the per-recipient field blocks
// (Original-Recipient / Final-Recipient, Action, Status, Diagnostic-Code) of a
// message/delivery-status body. Pure; the "dsn" row of formats.ts calls it.
import type { BouncedRecipient } from "../domain/bounce-report.js";

/** Header-style fields of one block, continuation lines unfolded, names lower-cased. */
function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of block.split("\n")) {
    if (/^[ \t]/.test(line) && last) {
      fields.set(last, `${fields.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$/.exec(line);
    if (!m) { last = null; continue; }
    last = m[1]!.toLowerCase();
    if (!fields.has(last)) fields.set(last, m[2]!.trim());
  }
  return fields;
}

/**
 * `rfc822; <Anne@Example.org>` → `Anne@Example.org` (RFC 3464 §2.3.2 address-type; address).
 * Seen in real reports and accepted: any case and spacing around the `;`, no type at all,
 * angle brackets, a trailing (comment), `utf-8;` (RFC 6533). Other types (x400, x-unix) are not mail addresses.
 */
export function addressOf(value: string | undefined): string | null {
  if (!value) return null;
  const m = /^\s*(?:([A-Za-z0-9-]+)\s*;)?\s*(.*)$/.exec(value)!;
  const type = (m[1] ?? "rfc822").toLowerCase();
  if (type !== "rfc822" && type !== "utf-8") return null;
  const addr = m[2]!.replace(/\s*\([^)]*\)\s*$/, "").trim().replace(/^<(.*)>$/, "$1").replace(/^mailto:/i, "").trim();
  return /^[^\s@<>]+@[^\s@<>]+$/.test(addr) ? addr : null;
}

/** Field names that carry the address as the list sent it, best first (X- forms: Exchange, Sendmail). */
const ORIGINAL = ["original-recipient", "x-original-recipient"];
const FINAL = ["final-recipient", "x-actual-recipient"];

/** RFC 3464 §2.3.3 Action, prefix-matched: MTAs write "failure", "error", "delayed (retrying)". */
function classOf(action: string, status: string | undefined): BouncedRecipient["kind"] | null {
  if (/^(fail|error)/.test(action)) return "permanent";
  if (action.startsWith("delay")) return "temporary";
  if (/^(delivered|relayed|expanded)/.test(action)) return null;
  return status?.startsWith("5") ? "permanent" : status?.startsWith("4") ? "temporary" : null;
}

/**
 * The recipients a delivery-status body reports as failed or delayed, one per
 * per-recipient block (a report may carry many). Action decides; a Status class
 * decides when Action is missing or odd.
 */
export function parseDeliveryStatus(text: string): BouncedRecipient[] {
  const blocks = text.replace(/\r\n?/g, "\n").split(/\n[ \t]*\n/);
  const out: BouncedRecipient[] = [];
  for (const block of blocks) {
    const f = fieldsOf(block);
    const pick = (names: string[]) => names.map((n) => addressOf(f.get(n))).find((a) => a !== null) ?? null;
    const address = pick(ORIGINAL) ?? pick(FINAL);
    if (!address) continue;
    const action = (f.get("action") ?? "").toLowerCase();
    const status = /\b([245])\.\d{1,3}\.\d{1,3}\b/.exec(f.get("status") ?? "")?.[0];
    const kind = classOf(action, status);
    if (!kind) continue;
    const reason = f.get("diagnostic-code")?.replace(/^[^;]*;\s*/, "");
    out.push({ address, kind, ...(status ? { status } : {}), ...(reason ? { reason } : {}) });
  }
  return out;
}

/** True when the text holds at least one per-recipient DSN block (a report sent as text/plain). */
export function looksLikeDeliveryStatus(text: string): boolean {
  return /^(Final|Original)-Recipient\s*:/im.test(text) && /^(Action|Status)\s*:/im.test(text);
}
