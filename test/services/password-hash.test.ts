// scrypt hashes for moderator passwords: verify what was hashed, nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { hashPassword, verifyPassword } from "../../src/services/password-hash.js";

test("a hashed password verifies; others and garbage do not", async () => {
  const stored = await hashPassword("correct horse");
  assert.match(stored, /^\$scrypt\$n=16384,r=8,p=1\$/);
  assert.notEqual(stored, await hashPassword("correct horse"), "salted");
  assert.equal(await verifyPassword("correct horse", stored), true);
  assert.equal(await verifyPassword("correct horsE", stored), false);
  assert.equal(await verifyPassword("correct horse", "plain-text"), false);
});
