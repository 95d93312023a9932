import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyReply } from "../../src/delivery/classify.js";
import { signUnsubscribeToken, verifyUnsubscribeToken } from "../../src/domain/unsubscribe-token.js";

test("replies are classified by the table, falling back to the code class", () => {
  const cases: [number, string, string, string][] = [
    [550, "550 5.1.1 <x@y>: Recipient address rejected: User unknown", "permanent", "recipient"],
    [552, "552 5.2.2 Mailbox full", "temporary", "quota"],
    [550, "550 Greylisted, try again later", "temporary", "throttle"],
    [451, "451 4.3.0 Temporary lookup failure", "temporary", "transient"],
    [450, "450 4.1.1 User unknown in local recipient table", "temporary", "recipient"],
    [554, "554 5.7.1 Message rejected as spam", "permanent", "policy"],
    [553, "553 something odd", "permanent", "other"],
    [0, "connection reset", "temporary", "transient"],
  ];
  for (const [code, reply, action, category] of cases) {
    assert.deepEqual(classifyReply(code, reply), { action, category }, reply);
  }
});

test("unsubscribe tokens name list and member, and only genuine ones verify", () => {
  const token = signUnsubscribeToken("secret-1", { listId: "dev.lists.test", address: "Anne@Example.org" });
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(verifyUnsubscribeToken("secret-1", token), { listId: "dev.lists.test", address: "anne@example.org" });
  assert.equal(verifyUnsubscribeToken("secret-2", token), null, "other secret");
  const [payload, mac] = token.split(".");
  const forged = Buffer.from("dev.lists.test\nbob@example.org").toString("base64url");
  assert.equal(verifyUnsubscribeToken("secret-1", `${forged}.${mac}`), null, "payload swapped");
  assert.equal(verifyUnsubscribeToken("secret-1", `${payload}.${mac!.slice(0, -2)}`), null, "truncated");
  for (const bad of ["", ".", "abc", "a.b.c", "x".repeat(5000)]) assert.equal(verifyUnsubscribeToken("secret-1", bad), null, bad);
});
