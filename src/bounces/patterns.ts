// Non-standard bounce formats as data: each entry says where a report's list of
// failed addresses starts (and ends) and how an address line looks, in the spirit of
// Mailman's flufl.bounce detectors (Postfix, Exim, qmail, Yahoo, Sendmail, Microsoft
// 365, Exchange, Gmail, Domino, GroupWise, Netscape, GMX, CompuServe, Mailman, SMTP32,
// SimpleWarning, SimpleMatch). Read by scan.ts.
import type { BounceClass } from "../domain/bounce-report.js";

export interface BouncePattern {
  /** Reported as the bounce's format. */
  name: string;
  /** Opens the region holding the failed addresses (the matching line is part of it). */
  start: RegExp;
  /** Closes the region; otherwise DEFAULT_END or MAX_REGION_LINES does. */
  end?: RegExp;
  /** Applied to each line of the region; the first defined capture group is the address. */
  address: RegExp;
  /** Unset: permanent, unless the text carries a WARNING_MARKERS phrase. */
  kind?: BounceClass;
}

/** Where a returned copy of the original message begins: never read addresses past it. */
export const DEFAULT_END = /^\s*-{2,}.*(original message|copy of (the|your) message|message follows|below this line)|^(Return-Path|Received|From|Message-ID):\s/im;
export const MAX_REGION_LINES = 40;

const ADDR = String.raw`<?([^\s<>()"',;]+@[^\s<>()"',;]+\.[A-Za-z0-9-]{2,})>?`;
/** A line that is only an address, possibly indented or in angle brackets. */
const ADDRESS_LINE = new RegExp(String.raw`^\s*${ADDR}\s*$`);
/** `<addr>: reason` (Postfix, qmail, Yahoo). */
const ANGLE_COLON = /^<([^\s<>]+@[^\s<>]+)>:/;

/** Phrases that mark a delay warning: the message is still being retried (RFC 3463 class 4). */
export const WARNING_MARKERS: RegExp[] = [
  /THIS IS A WARNING (MESSAGE )?ONLY/i,
  /has not yet been delivered to one or more/i,
  /transient non-fatal errors/i,
  /Delivery attempts will continue/i,
  /will (keep|continue to) try(ing)?/i,
  /Delivery to the following recipients? (has been|was) delayed/i,
];

/** Tried in order; the first whose region yields an address wins. Specific formats before heuristics. */
export const BOUNCE_PATTERNS: BouncePattern[] = [
  {
    // Postfix bounce(8) text part: "The mail system" / legacy "The Postfix program" signature, then "<addr>: why".
    name: "postfix",
    start: /^\s*The (Postfix program|mail system)\s*$/im,
    end: /^--- Delivery error report follows|^\s*-{2,}\S/im,
    address: ANGLE_COLON,
  },
  {
    // Exim: addresses indented by two spaces, details by four.
    name: "exim",
    start: /The following address\(es\) failed:|The address(es)? to which the message has not yet been delivered (is|are):/i,
    end: /^-+ This is a copy of|^No action is required/im,
    address: new RegExp(String.raw`^ {2}${ADDR}:?\s*$`),
  },
  {
    name: "qmail",
    start: /I'm afraid I wasn't able to deliver your message to the following addresses/i,
    end: /^--- (Below this line|Enclosed are the original headers)/im,
    address: ANGLE_COLON,
  },
  {
    name: "yahoo",
    start: /Sorry,? we were unable to deliver your message to the following address/i,
    end: /^--- Below this line/im,
    address: ANGLE_COLON,
  },
  {
    name: "sendmail",
    start: /^\s*-{3,}\s*The following addresses? had (permanent fatal|transient non-fatal) errors/im,
    end: /^\s*-{3,}\s*(Transcript of session|Original message|Message header)/im,
    address: ADDRESS_LINE,
  },
  {
    // Microsoft 365 text part: "Your message to addr couldn't be delivered."
    name: "microsoft365",
    start: /^Your message to \S+@\S+ couldn't be delivered/im,
    end: /\n/,
    address: new RegExp(String.raw`^Your message to ${ADDR} couldn't be delivered`),
  },
  {
    // Exchange 2007+ NDR: "Display Name (addr)" lines, or the bare address.
    name: "exchange",
    start: /Delivery has failed to these recipients or groups:/i,
    end: /^Diagnostic information for administrators/im,
    address: new RegExp(String.raw`\(${ADDR}\)\s*$|^\s*${ADDR}\s*$`),
  },
  {
    // Exchange 5.5/2003 and Outlook: "did not reach the following recipient(s):" then "addr on DATE".
    name: "exchange-legacy",
    start: /did not reach the following recipient\(s\):/i,
    address: new RegExp(String.raw`^\s*${ADDR}\s+on\s`, "i"),
  },
  {
    name: "gmail",
    start: /Your message wasn't delivered to \S+@\S+ because/i,
    end: /\n/,
    address: new RegExp(String.raw`Your message wasn't delivered to ${ADDR} because`),
  },
  {
    name: "gmail-legacy",
    start: /Delivery to the following recipients? failed( permanently)?:/i,
    end: /^Technical details of|^\s*-{3,}/im,
    address: ADDRESS_LINE,
  },
  {
    name: "domino",
    start: /^\s*was not delivered to:\s*$/im,
    end: /^\s*because:\s*$/im,
    address: ADDRESS_LINE,
  },
  {
    name: "groupwise",
    start: /The message that you sent was undeliverable to the following:/i,
    end: /^Possibly truncated original message follows/im,
    address: new RegExp(String.raw`^\s+${ADDR}\s*(\(.*)?$`),
  },
  {
    // Netscape / Sun / Oracle Communications Messaging Server.
    name: "netscape",
    start: /cannot be delivered to the following recipients:/i,
    address: new RegExp(String.raw`^\s*Recipient address:\s*${ADDR}\s*$`, "i"),
  },
  {
    name: "gmx",
    start: /Failed addresses follows:/i,
    end: /Message text follows:/i,
    address: new RegExp(String.raw`^\s*<([^\s<>]+@[^\s<>]+)>`),
  },
  {
    name: "compuserve",
    start: /--- Mail Delivery Failure ---|Invalid receiver address:/i,
    address: new RegExp(String.raw`Invalid receiver address:\s*${ADDR}`, "i"),
  },
  {
    // Mailman rejecting our copy (a list subscribed to this list that refuses its posts).
    name: "mailman",
    start: /^Your message to the \S+@\S+ mailing-list was rejected/im,
    end: /\n/,
    address: new RegExp(String.raw`^Your message to the ${ADDR} mailing-list was rejected`),
  },
  {
    name: "smtp32",
    start: /^(User mailbox exceeds allowed size|undeliverable to|unknown user|delivery failed \d+ attempts):?\s/im,
    end: /^Original message follows/im,
    address: new RegExp(String.raw`^(?:User mailbox exceeds allowed size|undeliverable to|unknown user|delivery failed \d+ attempts):?\s*${ADDR}`, "i"),
  },
  {
    name: "simplewarning",
    start: /Delivery to the following recipients? (has been|was) delayed|The following addresses had delivery problems/i,
    address: ADDRESS_LINE,
    kind: "temporary",
  },
  {
    // SimpleMatch: the common English phrasings that introduce a list of failed addresses.
    name: "simplematch",
    start: /(following|these) (recipients?|addresses?|e-?mail addresses?)[^\n]*(failed|could not be delivered|undeliverable|unknown|was not delivered|were not delivered|permanent)/i,
    address: new RegExp(String.raw`^\s*${ADDR}[:\s]*(\S.*)?$`),
  },
  {
    // SimpleMatch: "<addr>... User unknown" and "550 ... <addr>" transcript lines.
    name: "simplematch-transcript",
    start: /^\s*(<?[^\s<>]+@[^\s<>]+?>?\.\.\. (User unknown|Unknown user|Host unknown)|5\d\d[ -].*<[^\s<>]+@[^\s<>]+>)/im,
    end: /\n\s*\n/,
    address: new RegExp(String.raw`^\s*(?:5\d\d[ -].*<([^\s<>]+@[^\s<>]+)>|${ADDR}\.\.\. )`),
  },
];
