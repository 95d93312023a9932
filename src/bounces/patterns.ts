// Non-standard bounce formats as data. Each row says which bounces it applies to
// (sender, X-Mailer, media type), where the list of failed addresses starts and
// ends, and how an address line looks. The rows cover what Mailman 3's library,
// flufl.bounce, recognises (its detectors Sina, Yahoo, Yale, SMTP32, Postfix, Qmail,
// GroupWise, Microsoft, Caiwireless, Exchange, Netscape, AOL, SimpleMatch,
// SimpleWarning, LLNL; DSN and Exim's header are rows of formats.ts), in its order,
// plus today's providers (Gmail, Microsoft 365, …). Read by scan.ts; the row's
// name is reported as the bounce's format.
import type { BounceClass } from "../domain/bounce-report.js";

export interface BouncePattern {
  /** Reported as the bounce's format and logged. */
  name: string;
  /** The row applies only to bounces whose headers / media type match. */
  when?: { from?: RegExp; xMailer?: RegExp; type?: RegExp };
  /**
   * Which parts are read: the bounce's own text parts (default; never the returned
   * message, whose own headers and footers name other addresses), the first text/plain
   * leaf ("first-plain"), the first leaf ("first"), or Postfix's part labelled "notification".
   */
  parts?: "outer" | "first-plain" | "first" | "notification";
  /** Opens the region holding the failed addresses (the line itself is read too); absent: from the first line. */
  start?: RegExp;
  /** Closes the region, on a line that holds no address. */
  end?: RegExp;
  /** Applied to each line of the region; the first defined capture group is the address. */
  address: RegExp;
  /** Set: the region ends after this many lines. */
  maxLines?: number;
  /** Only the first address counts (a format that names one recipient). */
  single?: boolean;
  /** A captured name without "@" gets these domains (AOL reports screen names, Yale user names). */
  bareLocalDomains?: string[];
  /** Unset: permanent, unless the text carries a WARNING_MARKERS phrase. */
  kind?: BounceClass;
}

/** Phrases that mark a delay warning: the message is still being retried (RFC 3463 class 4). */
export const WARNING_MARKERS: RegExp[] = [
  /THIS IS A WARNING (MESSAGE )?ONLY/i,
  /has not yet been delivered to one or more/i,
  /transient non-fatal errors/i,
  /Delivery attempts will continue/i,
  /will (keep|continue to) try(ing)?/i,
  /Delivery to the following recipients? (has been|was) delayed/i,
];

const A = String.raw`[^\s<>()"',;@]+@[^\s<>()"',;@]+\.[A-Za-z0-9-]{2,}`;
const ADDR = String.raw`<?(${A})>?`;
/** A line that is only an address, possibly indented or in angle brackets. */
const ADDRESS_LINE = new RegExp(String.raw`^\s*${ADDR}\s*$`);
/** `<addr>: reason` (Postfix, qmail, Yahoo). */
const ANGLE_COLON = /^\s*<([^\s<>]+@[^\s<>]+)>:/;
/** `<addr>` anywhere on the line. */
const ANGLE = /<([^\s<>]+@[^\s<>]+)>/;
/** Any address-looking token on the line. */
const ANY = new RegExp(String.raw`(?:^|[\s<(\[:'"])(${A})`);
const MAILER_DAEMON = (domain: string) => new RegExp(String.raw`^(?:.*<)?mailer-daemon@${domain}>?\s*$`, "i");
const i = (s: string) => new RegExp(s, "i");
const im = (s: string) => new RegExp(s, "im");

/** Provider- and MTA-specific rows, most specific first (flufl.bounce's order). */
const SPECIFIC: BouncePattern[] = [
  // sina.com's own MTA: the first part lists "<addr>:" lines.
  { name: "sina", when: { from: MAILER_DAEMON(String.raw`sina\.com`) }, parts: "first", address: ANGLE_COLON },
  {
    name: "yahoo",
    when: { from: MAILER_DAEMON(String.raw`yahoo[\w.-]*`) },
    start: i(String.raw`^\s*(message\s+from\s+yahoo\.\S+|Sorry,? we were unable to deliver your message to the following address)`),
    end: /^\s*(--- Original message follows|--- Below this line is a copy of the message|-{10} Forwarded message -{10})/,
    address: ANGLE_COLON,
  },
  {
    // Yale's MTA gave user names only; they are tried in both of its mail domains.
    name: "yale",
    when: { from: MAILER_DAEMON(String.raw`(?:[\w-]+\.)*yale\.edu`), type: /^text\// },
    start: i("Message not delivered to the following"),
    end: i("Error Detail"),
    address: /^\s+(\w[\w.-]*)(?:\s|$)/,
    bareLocalDomains: ["yale.edu", "cs.yale.edu"],
  },
  {
    // IMail's "SMTP32" agent: "unknown user: addr", "undeliverable to addr", … until the returned copy.
    name: "smtp32",
    when: { xMailer: /^<SMTP32 v/ },
    end: i("original message follows"),
    address: i(String.raw`(?:user mailbox[^:]*:|delivery failed[^:]*:|unknown user[^:]*:|undeliverable +to|delivery userid[^:]*:)\s*<?([^\s<>]+@[^\s<>]+?)>?(?:\s|$)`),
  },
  {
    // Postfix bounce(8), its look-alikes (Keftamail, SMTP_Gateway, "The BNS Postfix program") included.
    name: "postfix",
    when: { type: /^multipart\/(mixed|report)$/ },
    parts: "notification",
    start: /^[ \t]*the\s*(bns)?\s*(postfix|keftamail|smtp_gateway)|failure reason:$/i,
    address: /<([^\s<>]+@[^\s<>]+)>:/,
  },
  {
    // qmail's QSBMF (cr.yp.to/proto/qsbmf.txt) and its imitations: an intro paragraph, then "<addr>:" paragraphs.
    name: "qmail",
    start: /^\s*(We're sorry\. There's a problem|Check your send e-mail address\.|Hi\. The MTA program at|Hi\. This is the|This is the mail delivery agent at|Unfortunately, your mail was not delivered|Your mail message to the following)/,
    end: /^\s*-/,
    address: ANGLE_COLON,
  },
  {
    // Novell GroupWise, NTMail and Exchange 5.5's "Internet Mail Service": the first text/plain part names the recipients.
    name: "groupwise",
    when: { type: /^multipart\/mixed$/, xMailer: /^(nov|ntm|int)/i },
    parts: "first-plain",
    address: new RegExp(String.raw`<(${A})>|^(${A})(?:\s|$)`),
  },
  {
    // Microsoft SMTPSVC: after "transcript of session follows", lines that are an address.
    name: "microsoft",
    when: { type: /^multipart\/mixed$/ },
    parts: "first",
    start: i("transcript of session follows"),
    address: ADDRESS_LINE,
  },
  {
    name: "caiwireless",
    when: { type: /^multipart\/mixed$/ },
    start: /^\s*the following recipients did not receive this message:/i,
    address: /^\s*<([^\s<>]+@[^\s<>]+)>/,
    single: true,
  },
  {
    // Exchange 5.5/2003 and Outlook: "did not reach the following recipient(s):" then "addr on DATE" or "SMTP=addr; on".
    name: "exchange",
    start: /did not reach the following recipient/i,
    end: /MSEXCH:/,
    address: new RegExp(String.raw`SMTP=(${A});|<?(${A})>?\s+on\s`, "i"),
  },
  {
    // Netscape / Sun / Oracle Communications Messaging Server.
    name: "netscape",
    parts: "first-plain",
    start: i("This Message was undeliverable due to the following reason:"),
    address: /^(?!.*please reply to).*<([^\s<>]+@[^\s<>]+)>/i,
  },
  {
    // AOL listed screen names under this line.
    name: "aol",
    when: { from: /@aol\.com>?\s*$/i, type: /^text\/plain$/ },
    start: i("mail to the following recipients could not be delivered"),
    end: /^\s*\S+\s+\S/,
    address: /^\s*([^\s<>]+)\s*$/,
    bareLocalDomains: ["aol.com"],
  },
];

/** Formats mailroom reads beyond flufl.bounce: MTAs and providers of today. */
const MODERN: BouncePattern[] = [
  {
    // Postfix bounce(8) text without MIME labels (older Postfix, or the text part re-sent).
    name: "postfix-text",
    start: /^\s*The (Postfix program|mail system)\s*$/im,
    end: /^--- Delivery error report follows|^\s*-{2,}\S/,
    address: ANGLE_COLON,
    maxLines: 60,
  },
  {
    // Exim: addresses indented by two spaces, details by four.
    name: "exim",
    start: /The following address\(es\) failed:|The address(es)? to which the message has not yet been delivered (is|are):/i,
    end: /^-+ This is a copy of|^No action is required/,
    address: new RegExp(String.raw`^ {2}${ADDR}:?\s*$`),
  },
  {
    // Microsoft 365 text part: "Your message to addr couldn't be delivered."
    name: "microsoft365",
    start: /^Your message to \S+@\S+ couldn't be delivered/,
    address: new RegExp(String.raw`^Your message to ${ADDR} couldn't be delivered`),
    maxLines: 1,
  },
  {
    // Exchange 2007+ NDR: "Display Name (addr)" lines, or the bare address.
    name: "exchange-ndr",
    start: /Delivery has failed to these recipients or groups:/i,
    end: /^Diagnostic information for administrators/,
    address: new RegExp(String.raw`\(${ADDR}\)\s*$|^\s*${ADDR}\s*$`),
  },
  {
    name: "gmail",
    start: /Your message wasn't delivered to \S+@\S+ because/i,
    address: new RegExp(String.raw`Your message wasn't delivered to ${ADDR} because`),
    maxLines: 1,
  },
  {
    name: "gmail-legacy",
    start: /Delivery to the following recipients? failed( permanently)?:/i,
    end: /^Technical details of|^\s*-{3,}/,
    address: ADDRESS_LINE,
  },
  {
    name: "domino",
    start: /^\s*was not delivered to:\s*$/i,
    end: /^\s*because:\s*$/i,
    address: ADDRESS_LINE,
  },
  {
    name: "groupwise-text",
    start: /The message that you sent was undeliverable to the following:/i,
    end: /^Possibly truncated original message follows/,
    address: new RegExp(String.raw`^\s+${ADDR}\s*(\(.*)?$`),
  },
  {
    name: "netscape-text",
    start: /cannot be delivered to the following recipients:/i,
    address: new RegExp(String.raw`^\s*Recipient address:\s*${ADDR}\s*$`, "i"),
    maxLines: 40,
  },
  {
    name: "gmx",
    start: /Failed addresses follows?:/i,
    end: /Message text follows:/i,
    address: /^\s*<?([^\s<>]+@[^\s<>]+?)>?(?:\s|$)/,
  },
  {
    name: "compuserve",
    start: /--- Mail Delivery Failure ---|Invalid receiver address:/i,
    address: new RegExp(String.raw`Invalid receiver address:\s*${ADDR}`, "i"),
    maxLines: 40,
  },
  {
    // Mailman rejecting our copy (a list subscribed to this list that refuses its posts).
    name: "mailman",
    start: /^Your message to the \S+@\S+ mailing-list was rejected/,
    address: new RegExp(String.raw`^Your message to the ${ADDR} mailing-list was rejected`),
    maxLines: 1,
  },
  {
    // SMTP32's text without its X-Mailer (forwarded or re-sent).
    name: "smtp32-text",
    start: /^(User mailbox exceeds allowed size|undeliverable to|unknown user|delivery failed \d+ attempts):?\s/im,
    end: /^Original message follows/,
    address: new RegExp(String.raw`^(?:User mailbox exceeds allowed size|undeliverable to|unknown user|delivery failed \d+ attempts):?\s*${ADDR}`, "i"),
  },
  {
    name: "sendmail",
    start: /^\s*-{3,}\s*The following addresses? had (permanent fatal|transient non-fatal) errors/i,
    end: /^\s*-{3,}\s*(Transcript of session|Original message|Message header)/i,
    address: new RegExp(String.raw`^\s*(?:\(expanded from: )?${ADDR}\)?\s*$`),
  },
];

/**
 * SimpleMatch and SimpleWarning: common phrasings that introduce a list of failed
 * addresses, each with the line that closes the list and the shape of an address in
 * it. Tried in order over all text; the first row that yields an address decides.
 */
const SIMPLE: [name: string, start: RegExp, end: RegExp, address: RegExp][] = [
  ["list-of-failed-recipients", i("here is your list of failed recipients"), i("here is your returned mail"), ANGLE],
  ["following-addresses-had", i("the following addresses had"), i("transcript of session follows"), new RegExp(String.raw`^ *(?:\(expanded from: )?<?([^\s@]+@[^\s@>]+?)>?\)?\s*$`, "i")],
  ["created-automatically-rcpt", i("this message was created automatically by mail delivery software"), i("original message follows"), /rcpt to:\s*<([^>]*)>/i],
  ["interscan-viruswall", i("message from interscan e-mail viruswall nt"), i("end of message"), /rcpt to:\s*<([^>]*)>/i],
  ["failed-addresses-follow", i("failed addresses follow:"), i("message text follows:"), /^\s*(\S+@\S+)/],
  ["machine-generated", i("This is the machine generated message from mail service"), i("--- Below the next line is a copy of the message"), ANGLE],
  ["did-not-receive-a-copy", i("The following addresses did NOT receive a copy of your message:"), i("--- Session Transcript ---"), /[>]\s*(\S+@\S+?)\s*$/],
  ["intended-recipient", i(String.raw`Intended recipient:\s*\S+@`), i("--------RETURNED MAIL FOLLOWS--------"), /Intended recipient:\s*<?(\S+@[^\s>]+)>?/i],
  ["undeliverable-address", i(String.raw`Undeliverable Address:\s*\S+@`), i("Original message attached"), /Undeliverable Address:\s*<?(\S+@[^\s>]+)>?/i],
  ["addressed-to-quoted", i("This message was created automatically by mail delivery"), im("^---- START OF RETURNED MESSAGE ----"), /addressed to '([^']*)'/i],
  ["mailbox-full", i("User's mailbox is full:"), i("Unable to deliver mail."), /User's mailbox is full:\s*<([^>]*)>/i],
  ["could-not-be-delivered-to-user", i("The email below could not be delivered to the following user:"), i("Old message:"), ANGLE],
  ["unable-to-deliver-addresses", i(String.raw`Unable to deliver message to the following address\(es\)\.`), i(String.raw`--- Original message follows\.`), /<([^>]*)>:/],
  ["following-recipient-failed", i("Delivery to the following recipient failed"), i("----- Original message -----"), /^\s*([^\s@]+@[^\s@]+)\s*$/],
  ["you-sent-angle", i("A message that you sent could not be delivered"), /^---/, ANGLE],
  ["you-sent-colon", i("A message that you sent could not be delivered"), /^---/, /^([^\s@]+@[^\s@:]+):/],
  ["following-recipients-failed", i("Del(i|e)very to the following recipients (failed|was aborted)"), /^[^D][^@]{2,}$/, /^[\s*]*([^\s@]+@[^\s@]+)\s*$/],
  ["your-message-because", im(String.raw`^Your message\s*$`), im("^because:"), /^\s*([^\s@]+@[^\s@]+)\s*$/],
  ["unable-to-deliver-to", im("^Unable to deliver message to"), i(String.raw`\*+\s+End of message\s+\*+`), ANGLE],
  ["sorry-unable-to-deliver", im("^Sorry, unable to deliver your message to"), im("^A copy of the original message"), /(?:^|\s)([^\s@]+@[^\s@]+)(?:\s|$)/],
  ["could-not-be-delivered-to", im("^A message could not be delivered to:"), im("^Subject:"), /^\s*([^\s@]+@[^\s@]+)\s*$/],
  ["invalid-final-delivery-userid", im("^Invalid final delivery userid:"), im("^Original message follows."), /(?:^|\s)([^\s@]+@[^\s@]+)\s*$/],
  ["failed-recipients-banner", i("------ Failed Recipients ------"), i("-------- Returned Mail --------"), ANGLE],
  ["you-sent-any", i("A message that you sent could not be delivered"), /^---/, /([^\s@]+@[^\s@)]+)/],
  ["error-for", im(String.raw`^--> Error description:\s*$`), im("^Error-End:"), /^Error-for:\s+([^\s@]+@[^\s@]+)/i],
  ["could-not-be-delivered-colon", i("Your message could not be delivered"), /^-/, /<([^>]*)>:/],
  ["could-not-be-delivered-to-any", i("Your message could not be delivered to"), /^\s*$/, /([^\s@]+@[^\s@]+)/],
  ["encountered-delivery-problems", i("Your message has encountered delivery problems"), i("Your message reads"), /addressed to\s*([^\s@]+@[^\s@)]+)/i],
  ["did-not-reach", i("Did not reach the following recipient"), /^\s*$/, /\s([^\s@]+@[^\s@]+)/],
  ["deliver-program", i("This is the deliver program at"), /^-/, /^([^\s@]+@[^\s@<>]+)/],
  ["email-server-at", i("this is the email server at"), /^-/, /\s([^\s@]+@[^\s@]+)[\s,]/],
  ["no-such-user-here", i("- no such user here"), i("There is no user"), /^([^\s@]+@[^\s@]+)\s/],
  ["following-address-failed", i("The following address failed:"), i("Included is a copy of the message header"), /<([^>]+)>/],
  ["could-not-be-reached", i(String.raw`The following recipient\(s\) could not be reached`), /^\s*Error Type/i, /^([^\s@]+@[^\s@<>]+)/],
  ["failed-recipient", i("Could not deliver message to the following recipient"), /^\s*-- The header/i, /Failed Recipient: ([^\s@]+@[^\s@<>]+)/i],
  ["not-delivered-to-addresses", i("Message not delivered to the following addresses"), i("Error detail"), /\s*([^\s@]+@[^\s@)]+)/],
  ["automatically-rejected", im("^Your message"), im("^Reporting"), /Your message to <?([^\s<@]+@[^\s@>]+)>? was automatically rejected/i],
  ["was-rejected", i("A message that you sent was rejected"), i("This is a copy of your message"), /\s([^\s@]+@[^\s@]+)/],
  ["some-recipients-smtp", i("Message could not be delivered to some recipients."), i("Message headers follow"), /Recipient: \[SMTP:([^\s@]+@[^\s@]+)\]/i],
  ["wasnt-able-to-deliver", i("wasn't able to deliver the following message"), i("---Below this line is a copy of the message."), /To: ([^\s@]+@[^\s@]+)/i],
  ["delivery-failure-notification", i("This is a delivery failure notification message"), i("The problem appears to be"), /-- ([^\s@]+@[^\s@]+)/],
];

const SIMPLE_WARNING: [name: string, start: RegExp, end: RegExp, address: RegExp][] = [
  ["not-yet-delivered-is", i("The address to which the message has not yet been delivered is"), i("No action is required on your part"), /^\s*(\S+@\S+)\s*$/],
  ["just-a-warning", i("Your message to:"), i("This is just a warning, you do not need to take any action"), /^\s*(\S+@\S+)\s*$/],
  ["attempts-will-continue", i("Your message with Subject:"), i("Delivery attempts will continue to be made"), /^\s*(\S+@\S+)\s*$/],
  ["recipient-delayed", i("Delivery to the following recipients? (has been|was) delayed"), i("Message will be retried"), /^\s*(\S+@\S+)\s*$/],
  ["delivery-problems", i("The following addresses had delivery problems"), /^\s*-{3,}/, /^\s*<?([^\s<>]+@[^\s<>]+?)>?(?:\s|$)/],
  ["advisory-only", i("This is an advisory-only email"), i("has been postponed"), /"([^"]+@[^"]+)"/],
  ["not-yet-delivered", i("not yet been delivered"), i("No action is required on your part"), /^\s*<?(\S+@[^>\s]+)>?\s*$/],
];

/** A real address, as flufl.bounce's SimpleMatch requires before it reports one. */
export const VALID_ADDRESS = /^[\x21-\x3d\x3f\x41-\x7e]+@[a-z0-9._-]+$/i;

export const BOUNCE_PATTERNS: BouncePattern[] = [
  ...SPECIFIC,
  ...MODERN,
  ...SIMPLE.map(([name, start, end, address]): BouncePattern => ({ name: `simplematch:${name}`, start, end, address })),
  ...SIMPLE_WARNING.map(([name, start, end, address]): BouncePattern => ({ name: `simplewarning:${name}`, start, end, address, kind: "temporary" })),
  {
    // LLNL's Sendmail wrote the address between commas in prose; last, being the loosest.
    name: "llnl",
    address: new RegExp(String.raw`,\s*(${A}),`),
    single: true,
  },
];
