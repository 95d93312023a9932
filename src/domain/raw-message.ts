// A small editor for a message's header block that keeps every byte it does not
// touch: fields are kept as their raw (folded) text and only the ones a stage
// changes are rewritten, so signatures and odd formatting survive (a full parse
// and re-serialise would not). Used by the posting pipeline, decorate.ts, delivery's
// per-member copies (delivery/personalize.ts) and moderation (services/moderation.ts).
import addressparser from "nodemailer/lib/addressparser";
import { encodeWords } from "nodemailer/lib/mime-funcs";

export interface HeaderField {
  /** Field name as written. */
  name: string;
  /** The whole field as latin1 text (bytes kept 1:1), folded lines included, without the final line break. */
  raw: string;
}

export interface Mailbox {
  name: string;
  address: string;
}

export class RawMessage {
  private constructor(
    public fields: HeaderField[],
    public body: Buffer,
    /** The line ending the message uses; new text is written with it. */
    readonly eol: "\r\n" | "\n",
  ) {}

  static parse(raw: Buffer): RawMessage {
    const crlf = raw.indexOf("\r\n\r\n");
    const lf = raw.indexOf("\n\n");
    let headEnd: number;
    let bodyStart: number;
    if (crlf >= 0 && (lf < 0 || crlf < lf)) { headEnd = crlf; bodyStart = crlf + 4; }
    else if (lf >= 0) { headEnd = lf; bodyStart = lf + 2; }
    else { headEnd = raw.length; bodyStart = raw.length; }
    const head = raw.subarray(0, headEnd).toString("latin1");
    const firstBreak = raw.indexOf("\n");
    const eol = firstBreak < 0 || raw[firstBreak - 1] === 0x0d ? "\r\n" : "\n";
    const fields: HeaderField[] = [];
    for (const line of head.split(/\r?\n/)) {
      if ((line.startsWith(" ") || line.startsWith("\t")) && fields.length > 0) {
        fields[fields.length - 1]!.raw += eol + line;
      } else if (line !== "") {
        const colon = line.indexOf(":");
        fields.push({ name: (colon > 0 ? line.slice(0, colon) : line).trim(), raw: line });
      }
    }
    return new RawMessage(fields, Buffer.from(raw.subarray(bodyStart)), eol);
  }

  clone(): RawMessage {
    return new RawMessage(this.fields.map((f) => ({ ...f })), this.body, this.eol);
  }

  has(name: string): boolean {
    return this.fields.some((f) => eqName(f.name, name));
  }

  /** The first field's value, unfolded and RFC 2047-decoded (UTF-8 header bytes are read as UTF-8). */
  get(name: string): string | undefined {
    return this.getAll(name)[0];
  }

  getAll(name: string): string[] {
    return this.fields.filter((f) => eqName(f.name, name)).map((f) => decodeHeaderValue(rawValue(f)));
  }

  /** The first field's value unfolded but not decoded (for structured fields such as Content-Type). */
  getRaw(name: string): string | undefined {
    const f = this.fields.find((x) => eqName(x.name, name));
    return f ? rawValue(f) : undefined;
  }

  /** Mailboxes of every field of that name (groups flattened). */
  addresses(name: string): Mailbox[] {
    const out: Mailbox[] = [];
    for (const f of this.fields) {
      if (!eqName(f.name, name)) continue;
      for (const a of addressparser(Buffer.from(rawValue(f), "latin1").toString("utf8"), { flatten: true })) {
        if (a.address) out.push({ name: decodeHeaderValue(a.name), address: a.address });
      }
    }
    return out;
  }

  /** Removes every field of that name; returns how many went. */
  remove(name: string): number {
    const before = this.fields.length;
    this.fields = this.fields.filter((f) => !eqName(f.name, name));
    return before - this.fields.length;
  }

  /** Appends a field at the bottom of the header block; `value` is encoded (RFC 2047) when not ASCII. */
  append(name: string, value: string): void {
    this.fields.push(makeField(name, value, this.eol));
  }

  /** Adds a field at the top (trace-like fields: Mailman's X-BeenThere goes on top too). */
  prepend(name: string, value: string): void {
    this.fields.unshift(makeField(name, value, this.eol));
  }

  /** Replaces the first field of that name in place (dropping the others), or appends it. */
  set(name: string, value: string): void {
    const i = this.fields.findIndex((f) => eqName(f.name, name));
    if (i < 0) return this.append(name, value);
    const field = makeField(this.fields[i]!.name, value, this.eol);
    this.fields = this.fields.flatMap((f, j) => (j === i ? [field] : eqName(f.name, name) ? [] : [f]));
  }

  /** Replaces the first field of that name with text written exactly as given (already encoded, latin1). */
  setRaw(name: string, value: string): void {
    const i = this.fields.findIndex((f) => eqName(f.name, name));
    if (i < 0) this.fields.push({ name, raw: `${name}: ${value}` });
    else this.fields[i] = { name: this.fields[i]!.name, raw: `${this.fields[i]!.name}: ${value}` };
  }

  headerBytes(): Buffer {
    return Buffer.from(this.fields.map((f) => f.raw + this.eol).join(""), "latin1");
  }

  toBuffer(): Buffer {
    return Buffer.concat([this.headerBytes(), Buffer.from(this.eol, "latin1"), this.body]);
  }
}

function eqName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The value of a raw field: text after the colon, unfolded, trimmed. */
function rawValue(f: HeaderField): string {
  const colon = f.raw.indexOf(":");
  return (colon >= 0 ? f.raw.slice(colon + 1) : "").replace(/\r?\n(?=[ \t])/g, "").trim();
}

function makeField(name: string, value: string, eol: string): HeaderField {
  // A bare CR or LF would end the field and start another (header injection): unfold it.
  value = value.replace(/[\r\n]+[ \t]*/g, " ");
  // encodeWords folds long encoded text into several words; join them with folding
  // whitespace so no line exceeds RFC 5322's 998 characters.
  const text = /^[\x20-\x7e\t]*$/.test(value) ? value : encodeWords(value, "Q", 52);
  return { name, raw: Buffer.from(`${name}: ${text}`, "utf8").toString("latin1").replace(/\?= =\?/g, `?=${eol} =?`) };
}

const ENCODED_WORD = /=\?([^?*\s]+)(?:\*[^?]*)?\?([bBqQ])\?([^?\s]*)\?=/g;

/**
 * Decodes a raw (latin1-held) header value: raw 8-bit bytes as UTF-8 (RFC 6532),
 * then RFC 2047 encoded words, whitespace between adjacent words dropped.
 */
export function decodeHeaderValue(latin1: string): string {
  const text = /[\x80-\xff]/.test(latin1) ? Buffer.from(latin1, "latin1").toString("utf8") : latin1;
  if (!text.includes("=?")) return text;
  return text
    .replace(/(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)/g, "$1")
    .replace(ENCODED_WORD, (whole, charset: string, enc: string, data: string) => {
      try {
        const bytes = enc.toUpperCase() === "B"
          ? Buffer.from(data, "base64")
          : Buffer.from(data.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1");
        return new TextDecoder(charset.toLowerCase(), { fatal: false }).decode(bytes);
      } catch {
        return whole; // unknown charset: leave the word as it was
      }
    });
}

/** A header value for one mailbox, encoded when needed: `"Name" <addr>` or `addr`. */
export function formatMailbox(name: string, address: string): string {
  // A decoded display name may carry CR/LF (from =0D=0A in an encoded word): never write it raw.
  name = name.replace(/[\r\n]+/g, " ").trim();
  if (!name) return address;
  if (/^[\x20-\x7e]*$/.test(name)) {
    const phrase = /^[A-Za-z0-9!#$%&'*+\/=?^_`{|}~ -]*$/.test(name) ? name : `"${name.replace(/(["\\])/g, "\\$1")}"`;
    return `${phrase} <${address}>`;
  }
  return `${encodeWords(name, "Q", 52, true)} <${address}>`;
}
