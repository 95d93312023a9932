// Signed one-click unsubscribe tokens (RFC 8058): the token in
// `List-Unsubscribe: <https://…/u/TOKEN>` names a list, a member address and the
// time it was issued, and is HMAC-SHA256 signed, so /u/{token} needs no login and
// no stored state. A token works for UNSUBSCRIBE_TOKEN_LIFETIME_MS (docs/subscriptions.md
// says why 90 days), so a copy forwarded years later no longer unsubscribes anyone.
// Pure: the caller passes the secret (src/secret.ts). Used by delivery and the /u route.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface UnsubscribeClaim {
  /** RFC 2919 list id, `name.mailhost`. */
  listId: string;
  /** The member's address key (lower-case). */
  address: string;
}

/** 90 days: three times CAN-SPAM's 30-day minimum for an opt-out link, and far past Mailman's 3-day pending tokens, which are not read from old mail. */
export const UNSUBSCRIBE_TOKEN_LIFETIME_MS = 90 * 24 * 3600 * 1000;
/** Clocks of the processes signing and verifying may differ a little. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

// "2": tokens carry their issue time. Version 1 tokens (no time) no longer verify.
const VERSION = "2";
/** 128 bits of MAC is plenty for a token that can only unsubscribe one address. */
const MAC_BYTES = 16;

function mac(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(`${VERSION}:${payload}`).digest().subarray(0, MAC_BYTES).toString("base64url");
}

/** `<payload>.<mac>`, both base64url: URL-path safe, no padding. */
export function signUnsubscribeToken(secret: string, claim: UnsubscribeClaim, issuedAt: Date = new Date()): string {
  const seconds = Math.floor(issuedAt.getTime() / 1000);
  const payload = Buffer.from(`${claim.listId}\n${claim.address.toLowerCase()}\n${seconds}`, "utf8").toString("base64url");
  return `${payload}.${mac(secret, payload)}`;
}

/**
 * The claim of a genuine token issued within its lifetime, or null for anything
 * forged, expired, truncated, malformed or not in the one canonical encoding the
 * signer writes (base64url without padding: `==` appended is not the same token).
 * The MAC is compared in constant time.
 */
export function verifyUnsubscribeToken(secret: string, token: string, now: Date = new Date()): UnsubscribeClaim | null {
  if (typeof token !== "string" || token.length > 2048) return null;
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return null;
  const payload = token.slice(0, dot);
  // Compared as text, not as decoded bytes: Node's base64url decoder ignores padding,
  // stray characters and unused low bits, so several spellings decode alike.
  const given = Buffer.from(token.slice(dot + 1), "latin1");
  const expected = Buffer.from(mac(secret, payload), "latin1");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const parts = Buffer.from(payload, "base64url").toString("utf8").split("\n");
  if (parts.length !== 3 || !parts[0] || !parts[1] || !/^\d{1,12}$/.test(parts[2]!)) return null;
  const issued = Number(parts[2]) * 1000;
  const age = now.getTime() - issued;
  if (age > UNSUBSCRIBE_TOKEN_LIFETIME_MS || age < -CLOCK_SKEW_MS) return null;
  return { listId: parts[0], address: parts[1] };
}
