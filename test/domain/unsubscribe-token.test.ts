// One-click unsubscribe tokens (src/domain/unsubscribe-token.ts): issue 16 asked
// for an issue time and a lifetime, and for one canonical encoding only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { signUnsubscribeToken, UNSUBSCRIBE_TOKEN_LIFETIME_MS, verifyUnsubscribeToken } from "../../src/domain/unsubscribe-token.js";

const claim = { listId: "dev.lists.test", address: "anne@example.org" };
const DAY = 24 * 3600 * 1000;
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The same MAC bytes spelled differently: the last character's unused low bits flipped. */
function nonCanonical(token: string): string {
  const last = B64URL.indexOf(token.at(-1)!);
  return token.slice(0, -1) + B64URL[last ^ 1];
}

test("a token works for its whole lifetime and not after", () => {
  const issued = new Date("2026-01-01T00:00:00Z");
  const token = signUnsubscribeToken("s", claim, issued);
  const at = (ms: number) => new Date(issued.getTime() + ms);
  assert.deepEqual(verifyUnsubscribeToken("s", token, at(0)), claim);
  assert.deepEqual(verifyUnsubscribeToken("s", token, at(89 * DAY)), claim, "a slow reader, 89 days later");
  assert.deepEqual(verifyUnsubscribeToken("s", token, at(UNSUBSCRIBE_TOKEN_LIFETIME_MS)), claim);
  assert.equal(verifyUnsubscribeToken("s", token, at(UNSUBSCRIBE_TOKEN_LIFETIME_MS + 1000)), null, "expired");
  assert.equal(verifyUnsubscribeToken("s", token, at(3 * 365 * DAY)), null, "forwarded years later");
  assert.equal(verifyUnsubscribeToken("s", token, at(-3600 * 1000)), null, "issued an hour in the future");
  assert.deepEqual(verifyUnsubscribeToken("s", token, at(-60 * 1000)), claim, "a minute of clock skew is fine");
});

test("only the one canonical encoding of the signature verifies", () => {
  const token = signUnsubscribeToken("s", claim);
  assert.deepEqual(verifyUnsubscribeToken("s", token), claim);
  const [payload, mac] = token.split(".") as [string, string];
  assert.deepEqual(Buffer.from(`${mac}==`, "base64url"), Buffer.from(mac, "base64url"), "Node decodes both alike");
  assert.deepEqual(Buffer.from(nonCanonical(token).split(".")[1]!, "base64url"), Buffer.from(mac, "base64url"), "and these too");
  for (const variant of [`${token}=`, `${token}==`, `${payload}.${mac}%3D%3D`, nonCanonical(token), `${payload}.${mac.slice(0, 10)} ${mac.slice(10)}`,
    `${payload}.${Buffer.from(mac, "base64url").toString("base64")}`, `${payload}=.${mac}`]) {
    if (variant === token) continue;
    assert.equal(verifyUnsubscribeToken("s", variant), null, variant);
  }
});

test("the issue time is signed: changing it breaks the MAC", () => {
  const token = signUnsubscribeToken("s", claim, new Date("2020-01-01T00:00:00Z"));
  const [payload, mac] = token.split(".") as [string, string];
  const text = Buffer.from(payload, "base64url").toString("utf8").replace(/\d+$/, String(Math.floor(Date.now() / 1000)));
  assert.equal(verifyUnsubscribeToken("s", `${Buffer.from(text).toString("base64url")}.${mac}`), null);
});
