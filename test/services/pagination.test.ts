// Keyset cursors are opaque round-trips of the last id; anything else is a 400.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeCursor, encodeCursor, pageLimit, toPage } from "../../src/services/pagination.js";

test("cursors round-trip and reject what the API did not make", () => {
  assert.equal(decodeCursor(encodeCursor(42)), 42);
  assert.equal(decodeCursor(undefined), 0);
  for (const bad of ["42", "bogus", Buffer.from("id:-1").toString("base64url"), Buffer.from("id:1e9").toString("base64url"), Buffer.from("id:2147483648").toString("base64url")]) {
    assert.throws(() => decodeCursor(bad), { code: "invalid-input" }, bad);
  }
});

test("limits are 1–1000, default 50", () => {
  assert.equal(pageLimit(undefined), 50);
  assert.equal(pageLimit(1000), 1000);
  assert.throws(() => pageLimit(0), { code: "invalid-input" });
  assert.throws(() => pageLimit(1001), { code: "invalid-input" });
});

test("a page has a next cursor only when there is more", () => {
  const rows = [{ id: 1 }, { id: 2 }, { id: 3 }];
  assert.deepEqual(toPage(rows, 2, 3, (r) => r.id), { items: [1, 2], total: 3, nextCursor: encodeCursor(2) });
  assert.deepEqual(toPage(rows, 3, 3, (r) => r.id), { items: [1, 2, 3], total: 3 });
});
