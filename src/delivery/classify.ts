// Classifies an SMTP reply to one recipient with the REPLY_CLASSES table. Called by
// settle.ts for every recipient the MTA refused.
import { defaultAction, REPLY_CLASSES, type ReplyAction } from "./reply-classes.js";

export interface Classified {
  action: ReplyAction;
  category: string;
}

/** `code` is the numeric reply code (0 when the reply had none); `reply` the full text. */
export function classifyReply(code: number, reply: string): Classified {
  const text = reply.trim();
  // A 2xx/3xx here means the server misbehaved mid-transaction: try again.
  if (code > 0 && code < 400) return { action: "temporary", category: "protocol" };
  for (const row of REPLY_CLASSES) {
    // A 4xx stays temporary even if the text matches a permanent row: the server said so.
    if (row.pattern.test(text)) {
      if (row.action === "permanent" && code >= 400 && code < 500) return { action: "temporary", category: row.category };
      return { action: row.action, category: row.category };
    }
  }
  return { action: code === 0 ? "temporary" : defaultAction(code), category: code >= 500 ? "other" : "transient" };
}
