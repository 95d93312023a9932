// Whether mail returned to a VERP probe's address is the probe bouncing. Mailman
// counts anything that arrives there; mailroom leaves out what says it is not a
// failure: a report of delays only (still trying), and an auto-reply that no format
// reads as a bounce (a vacation notice answering the probe's return path; parse.ts
// decides, so a Postfix DSN marked "Auto-Submitted: auto-replied" still counts).
// Pure; called by handler.ts.
import type { BounceReport } from "../domain/bounce-report.js";

export type ProbeVerdict = { bounced: true } | { bounced: false; why: "delayed" | "auto-replied" };

export function probeVerdict(report: BounceReport): ProbeVerdict {
  if (report.autoReply) return { bounced: false, why: "auto-replied" };
  if (report.recognised && report.recipients.every((r) => r.kind === "temporary")) return { bounced: false, why: "delayed" };
  return { bounced: true };
}
