// Message-ID helpers shared by LMTP ingress (lmtp/receive.ts) and the notices mailroom
// writes (services/notices.ts): the id of a message
// (RFC 5322 section 3.6.4), Mailman's Message-ID-Hash, and a fresh id for mail that
// arrives without one (Mailman's LMTP runner adds it rather than refuse the post).
import { createHash, randomBytes } from "node:crypto";

/**
 * Mailman's Message-ID-Hash (utilities/email.py add_message_hash): the id without
 * its angle brackets, SHA-1, base32 (RFC 4648, upper case, with padding; a
 * 20-byte digest gives exactly 32 characters, so there is none).
 */
export function messageIdHash(messageId: string): string {
  let id = messageId.trim();
  if (id.startsWith("<") && id.endsWith(">")) id = id.slice(1, -1);
  return base32(createHash("sha1").update(id, "utf8").digest());
}

/** A new RFC 5322 msg-id `<left@right>`, unique without coordination between processes. */
export function makeMessageId(domain: string): string {
  const host = /^[A-Za-z0-9.-]+$/.test(domain) ? domain : "mailroom.invalid";
  return `<${Date.now().toString(36)}.${randomBytes(9).toString("hex")}@${host}>`;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += "=";
  return out;
}
