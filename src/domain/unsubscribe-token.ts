// Signed one-click unsubscribe tokens (RFC 8058): the token in
// `List-Unsubscribe: <https://…/u/TOKEN>` names a list and a member address and is
// HMAC-SHA256 signed, so /u/{token} needs no login and no stored state.
// Pure: the caller passes the secret (src/secret.ts). Used by delivery and the /u route.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface UnsubscribeClaim {
  /** RFC 2919 list id, `name.mailhost`. */
  listId: string;
  /** The member's address key (lower-case). */
  address: string;
}

const VERSION = "1";
/** 128 bits of MAC is plenty for a token that can only unsubscribe one address. */
const MAC_BYTES = 16;

function mac(secret: string, payload: string): Buffer {
  return createHmac("sha256", secret).update(`${VERSION}:${payload}`).digest().subarray(0, MAC_BYTES);
}

/** `<payload>.<mac>`, both base64url: URL-path safe, no padding. */
export function signUnsubscribeToken(secret: string, claim: UnsubscribeClaim): string {
  const payload = Buffer.from(`${claim.listId}\n${claim.address.toLowerCase()}`, "utf8").toString("base64url");
  return `${payload}.${mac(secret, payload).toString("base64url")}`;
}

/** The claim of a genuine token, or null for anything forged, truncated or malformed. */
export function verifyUnsubscribeToken(secret: string, token: string): UnsubscribeClaim | null {
  if (typeof token !== "string" || token.length > 2048) return null;
  const dot = token.indexOf(".");
  if (dot <= 0 || dot !== token.lastIndexOf(".")) return null;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const text = Buffer.from(payload, "base64url").toString("utf8");
  const nl = text.indexOf("\n");
  if (nl <= 0 || nl === text.length - 1) return null;
  return { listId: text.slice(0, nl), address: text.slice(nl + 1) };
}
