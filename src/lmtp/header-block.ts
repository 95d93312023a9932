// A light look at a received message for LMTP ingress: is there a header block at
// all (RFC 5322 section 2.1), and what is its Message-ID. Deliberately not a full
// MIME parse: the pipeline parses later, and ingress must stay fast and accept odd
// mail as long as it has headers (Mailman stores it; lists carry odd mail).

export interface MessageLook {
  /** null when the bytes are a message (have a header block); else why they are not. */
  notAMessage: string | null;
  /** The Message-ID header's msg-id (with angle brackets), or null when absent/empty. */
  messageId: string | null;
}

/** Header blocks are not scanned past this (a header this long is garbage anyway). */
const MAX_HEADER_SCAN = 1024 * 1024;
// RFC 5322 field-name: printable US-ASCII except ":"; obsolete syntax allows WSP before the colon.
const FIELD = /^[\x21-\x39\x3B-\x7E]+[ \t]*:/;
const MESSAGE_ID = /^message-id[ \t]*:/i;

export function lookAtMessage(raw: Buffer): MessageLook {
  if (raw.length === 0) return { notAMessage: "empty message", messageId: null };
  const scan = raw.subarray(0, MAX_HEADER_SCAN);
  // Only the header block matters: cut at the first empty line before splitting.
  const crlf = scan.indexOf("\r\n\r\n");
  const lf = scan.indexOf("\n\n");
  const ends = [crlf, lf].filter((i) => i >= 0);
  const text = scan.subarray(0, ends.length ? Math.min(...ends) + 2 : scan.length).toString("latin1");
  const lines = headerLines(text);
  if (lines.length === 0 || !FIELD.test(lines[0]!)) {
    return { notAMessage: "no header block (RFC 5322 section 2.1): the first line is not a header field", messageId: null };
  }
  for (const line of lines) {
    if (!MESSAGE_ID.test(line)) continue;
    // Control characters (NUL above all) cannot go into a text column, and no msg-id has them.
    const value = Buffer.from(line.slice(line.indexOf(":") + 1), "latin1").toString("utf8").replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "");
    return { notAMessage: null, messageId: msgId(value) };
  }
  return { notAMessage: null, messageId: null };
}

/** Unfolded header lines up to the first empty line (CRLF or bare LF endings). */
function headerLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "" || line === "\r") break;
    if ((line[0] === " " || line[0] === "\t") && out.length > 0) out[out.length - 1] += line;
    else out.push(line);
  }
  return out;
}

/** The `<…>` of a Message-ID value, or the trimmed value when it has no brackets. */
function msgId(value: string): string | null {
  const bracketed = /<[^<>]*>/.exec(value);
  if (bracketed) return bracketed[0].replace(/\s+/g, "");
  const bare = value.trim();
  return bare === "" ? null : `<${bare.split(/\s+/)[0]!}>`;
}
