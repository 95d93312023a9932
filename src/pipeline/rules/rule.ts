// What a rule is (Mailman interfaces/rules.py): a name operators see in logs and in
// the X-Mailman-Rule-Hits header, a one-line description, and a check. A hit either
// decides the post (jump to accept/hold/reject/discard) or only "collects" a reason;
// collected reasons hold the post once the whole chain has run (Mailman's "any" link).
import type { MailingList } from "../../generated/prisma/client.js";
import type { ResolvedMember } from "../../db/member-lookup.js";
import type { MessageContext, Outcome } from "../../domain/message-context.js";
import type { HeaderPattern } from "../../domain/header-patterns.js";
import type { RawMessage } from "../../domain/raw-message.js";
import type { DmarcResolver } from "../dmarc.js";

export interface RuleInput {
  /** The post; a rule may edit it (approved strips the password). */
  msg: RawMessage;
  /** Size of the post as received, in bytes. */
  size: number;
  list: MailingList;
  ctx: MessageContext;
  /** Rows of this list for the post's senders (any role), in ctx.senders order. */
  senderRows: ResolvedMember[];
  /** Bans that apply to this list: its own and the global ones (domain/ban.ts). */
  bans: readonly string[];
  verifyPassword(password: string, hash: string): Promise<boolean>;
  dmarc: DmarcResolver;
  /** The site's suspicious-header lines (MAILROOM_SUSPICIOUS_HEADERS_FILE); none when absent. */
  siteSuspiciousHeaders?: readonly HeaderPattern[];
}

export type RuleResult =
  | { hit: false }
  | { hit: true; action: Outcome | "collect"; reason: string };

export interface Rule {
  name: string;
  description: string;
  check(input: RuleInput): RuleResult | Promise<RuleResult>;
}

export const MISS: RuleResult = { hit: false };

export function hit(action: Outcome | "collect", reason: string): RuleResult {
  return { hit: true, action, reason };
}

/** Lower-case addresses in To, Cc, Resent-To and Resent-Cc (who the post was sent to). */
export function destinations(msg: RawMessage): string[] {
  return ["To", "Cc", "Resent-To", "Resent-Cc"].flatMap((h) => msg.addresses(h).map((a) => a.address.toLowerCase()));
}

