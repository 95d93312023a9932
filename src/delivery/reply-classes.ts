// What an SMTP reply to a recipient means, as data: pattern → temporary (retry that
// recipient later) or permanent (give up; a bounce event for the bounce processor),
// plus a category for operators. The first matching row wins; the reply code's class
// decides when none matches. Modelled on ZoneMTA's config/bounces.txt. Used by classify.ts.

export type ReplyAction = "temporary" | "permanent";

export interface ReplyClass {
  /** Tested against the whole reply line, e.g. "552 5.2.2 Mailbox full". */
  pattern: RegExp;
  action: ReplyAction;
  category: string;
}

export const REPLY_CLASSES: readonly ReplyClass[] = [
  // Full mailboxes and quotas clear up: many servers answer them with 5xx anyway.
  { pattern: /\b[45]\.2\.2\b|mailbox (is )?full|over ?quota|quota exceeded|insufficient (system )?storage/i, action: "temporary", category: "quota" },
  // Greylisting and rate limits say "try again" whatever their code.
  { pattern: /greylist|graylist|try again later|too many (connections|messages|recipients)|rate limit/i, action: "temporary", category: "throttle" },
  { pattern: /^4\d\d [45]\.7\.1\b.*(spf|dkim|dmarc)/i, action: "temporary", category: "policy" },
  // Recipient does not exist / no longer exists.
  { pattern: /\b5\.1\.[16]\b|user unknown|no such (user|mailbox|recipient)|unknown (user|recipient)|mailbox (unavailable|not found|disabled)|recipient address rejected|does not exist|account (has been )?disabled/i, action: "permanent", category: "recipient" },
  // Domain has no mail service.
  { pattern: /\b5\.1\.(2|10)\b|host not found|domain not found|null mx|no mx/i, action: "permanent", category: "domain" },
  // Content or reputation blocks.
  { pattern: /\b5\.7\.\d+\b|blocked|blacklist|blocklist|spam|policy/i, action: "permanent", category: "policy" },
  { pattern: /\b5\.3\.4\b|message (size|too (big|large))|exceeds .*size/i, action: "permanent", category: "message" },
];

/** When no row matches: the RFC 5321 reply class. */
export function defaultAction(code: number): ReplyAction {
  return code >= 400 && code < 500 ? "temporary" : "permanent";
}
