// The typed context a post carries through the posting pipeline (Mailman's msgdata
// dict, but typed): what the rule chain found, the Decision it reached, and what
// the handlers add on the way to delivery. Stored with a held message and on the
// "list" job a moderator's accept re-queues, so nothing is lost between stages.

/** What the rule chain decides for a post (Mailman's chains; outcomes are values). */
export type Outcome = "accept" | "hold" | "reject" | "discard";

export interface Decision {
  outcome: Outcome;
  /** The rule whose hit decided; null when nothing hit (accept by default). */
  rule: string | null;
  /** Human-readable reasons (shown to moderators, put in rejection notices). */
  reasons: string[];
}

/** DMARC mitigation the dmarc handler applies (the rule found a strict policy). */
export type DmarcMitigation = "munge_from" | "wrap_message";

export interface MessageContext {
  /** The list's id string (`mylist.example.com`). */
  listId: string;
  /** RFC 5322 Message-ID with angle brackets. */
  messageId: string;
  messageIdHash: string;
  /** Envelope sender; "" for the null sender. */
  mailFrom: string;
  /** Lower-case keys of the addresses the post claims to be from: From, Sender, envelope (Mailman msg.senders). */
  senders: string[];
  /** Rules that hit and missed, in chain order (Mailman's X-Mailman-Rule-Hits/-Misses). */
  ruleHits: string[];
  ruleMisses: string[];
  /** Reasons collected by rules whose hits only count together (administrivia, max-size, …). */
  moderationReasons: string[];
  /** Set by the approved rule: the post carried the moderator password. */
  approved?: boolean;
  /** Set when a moderator accepted the held post: the rules are not run again. */
  moderatorApproved?: boolean;
  /** Set when the post was held: the rule or handler that held it (Decision.rule), kept for a moderator's accept. */
  heldBy?: string | null;
  /** Set by the dmarc-mitigation rule when the From domain's policy is quarantine/reject. */
  dmarc?: DmarcMitigation;
  /** The list's post number given to this post (subject prefix %d, archive). */
  postId?: number;
  /** Set by to-archive: keep an ArchivedMessage row. */
  archive?: boolean;
  /** Set by to-outgoing: address keys delivery must skip (poster opted out, To/Cc duplicates). */
  exclude?: string[];
  /** Set by to-outgoing: hand the post to delivery. */
  outgoing?: boolean;
}

export function newContext(init: Pick<MessageContext, "listId" | "messageId" | "messageIdHash" | "mailFrom" | "senders">): MessageContext {
  return { ...init, ruleHits: [], ruleMisses: [], moderationReasons: [] };
}
