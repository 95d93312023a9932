// RFC 3464 delivery status notifications: reads the per-recipient field blocks
// (Final-Recipient / Original-Recipient, Action, Status, Diagnostic-Code) of a
// message/delivery-status body. Pure; called by parse.ts.
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

/** `rfc822; <Anne@Example.org>` → `Anne@Example.org` (RFC 3464 §2.3.2 address-type; address). */
function addressOf(value: string | undefined): string | null {
  if (!value) return null;
  const semi = value.indexOf(";");
  const type = semi >= 0 ? value.slice(0, semi).trim().toLowerCase() : "rfc822";
  if (type !== "rfc822" && type !== "utf-8") return null;
  const addr = (semi >= 0 ? value.slice(semi + 1) : value).trim().replace(/^<|>$/g, "").trim();
  return addr.includes("@") ? addr : null;
}

/**
 * The recipients a delivery-status body reports as failed or delayed. "delivered",
 * "relayed" and "expanded" (RFC 3464 §2.3.3) are not failures and are left out.
 * Action decides first; a Status class decides when Action is missing or odd.
 */
export function parseDeliveryStatus(text: string): BouncedRecipient[] {
  const blocks = text.replace(/\r\n?/g, "\n").split(/\n[ \t]*\n/);
  const out: BouncedRecipient[] = [];
  for (const block of blocks) {
    const f = fieldsOf(block);
    const address = addressOf(f.get("original-recipient")) ?? addressOf(f.get("final-recipient"));
    if (!address) continue;
    const action = (f.get("action") ?? "").toLowerCase().split(/[\s(]/)[0] ?? "";
    const status = /\b([245])\.\d{1,3}\.\d{1,3}\b/.exec(f.get("status") ?? "")?.[0];
    let kind: BouncedRecipient["kind"] | null;
    if (action === "failed") kind = "permanent";
    else if (action === "delayed") kind = "temporary";
    else if (["delivered", "relayed", "expanded"].includes(action)) kind = null;
    else kind = status?.startsWith("5") ? "permanent" : status?.startsWith("4") ? "temporary" : null;
    if (!kind) continue;
    const reason = f.get("diagnostic-code")?.replace(/^[^;]*;\s*/, "");
    out.push({ address, kind, ...(status ? { status } : {}), ...(reason ? { reason } : {}) });
  }
  return out;
}

/** True when the text holds at least one per-recipient DSN block (mailparser inlines the report into the text). */
export function looksLikeDeliveryStatus(text: string): boolean {
  return /^(Final|Original)-Recipient\s*:/im.test(text) && /^(Action|Status)\s*:/im.test(text);
}
