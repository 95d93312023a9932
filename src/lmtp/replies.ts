// Every reply mailroom's own LMTP code gives, with its RFC 3463 enhanced status
// code, in one table (docs/lmtp.md explains each). Failures become SMTP codes here
// and nowhere else. smtp-server's built-in replies (syntax, sequence, SIZE= on MAIL)
// get their codes from its own RFC 3463 table.

/** An error smtp-server turns into a reply: `responseCode` plus the text (which starts with the enhanced code). */
export interface LmtpReplyError extends Error { responseCode: number }

export const REPLIES = {
  /** RCPT for no list or sub-address (the seed's text; Mailman answers the same). */
  noSuchMailbox: [550, "5.1.1", "Requested action not taken: mailbox unavailable"],
  /** RCPT or DATA while the database cannot answer or commit: the client retries later. */
  databaseDown: [451, "4.3.0", "Requested action aborted: local error in processing, try again later"],
  /**
   * RCPT past MAILROOM_LMTP_MAX_RECIPIENTS, duplicates counted (RFC 5321
   * 4.5.3.1.10: the client sends the rest in another transaction).
   */
  tooManyRecipients: [452, "4.5.3", "Error: too many recipients"],
  /** DATA over MAILROOM_MAX_MESSAGE_SIZE (the detail is the limit). */
  tooBig: [552, "5.3.4", "Error: message exceeds fixed maximum message size"],
  /** DATA that has no header block at all (RFC 5322 section 2.1). */
  notAMessage: [550, "5.6.0", "Not a message"],
  /** Anything this code did not foresee: temporary, so nothing is lost. */
  internalError: [451, "4.3.0", "Requested action aborted: local error in processing"],
} as const satisfies Record<string, readonly [number, string, string]>;

export type ReplyName = keyof typeof REPLIES;

/**
 * The plain replies, made once: an Error captures a stack trace when made, which
 * an unknown address (a 550 per RCPT) would pay on every connection. smtp-server
 * only reads `responseCode` and `message`.
 */
const PLAIN = new Map<ReplyName, LmtpReplyError>();

/** The reply as an error for smtp-server's callbacks; `detail` is appended after a colon. */
export function replyError(name: ReplyName, detail?: string): LmtpReplyError {
  if (detail === undefined) {
    let err = PLAIN.get(name);
    if (!err) PLAIN.set(name, (err = makeError(name)));
    return err;
  }
  return makeError(name, detail);
}

function makeError(name: ReplyName, detail?: string): LmtpReplyError {
  const [code, enhanced, text] = REPLIES[name];
  const err = new Error(`${enhanced} ${text}${detail ? `: ${detail}` : ""}`) as LmtpReplyError;
  err.responseCode = code;
  return err;
}

/** 250 after DATA for one recipient, once its job is committed. */
export function queuedReply(messageRowId: bigint, recipient: string): string {
  return `2.0.0 Ok: queued as ${messageRowId} for <${recipient}>`;
}

/** Replies whose text already starts with an RFC 3463 code are sent as they are. */
export const HAS_ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /;
