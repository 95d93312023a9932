// Whether mail returned to a VERP probe's address is the probe bouncing. Mailman
// counts anything that arrives there; mailroom leaves out what says it is not a
// failure: a report of delays only (still trying), and an RFC 3834 auto-reply that
// reads as no bounce at all (a vacation notice answering the probe's return path).
// Postfix marks its own DSNs "Auto-Submitted: auto-replied" too, so the header alone
// decides nothing. Pure; called by handler.ts.
import type { BounceReport } from "../domain/bounce-report.js";
import { RawMessage } from "../domain/raw-message.js";

export type ProbeVerdict = { bounced: true } | { bounced: false; why: "delayed" | "auto-replied" };

export function probeVerdict(report: BounceReport, raw: Buffer): ProbeVerdict {
  if (report.recognised) return report.recipients.every((r) => r.kind === "temporary") ? { bounced: false, why: "delayed" } : { bounced: true };
  let autoSubmitted = "";
  try { autoSubmitted = RawMessage.parse(raw).get("Auto-Submitted") ?? ""; } catch { /* unreadable headers: judged as a bounce */ }
  if (/^\s*auto-replied/i.test(autoSubmitted)) return { bounced: false, why: "auto-replied" };
  return { bounced: true };
}
