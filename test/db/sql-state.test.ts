import { test } from "node:test";
import assert from "node:assert/strict";
import { sqlStateOf } from "../../src/db/sql-state.js";

test("sqlStateOf reads the driver adapter's SQLSTATE, and nothing else", () => {
  assert.equal(sqlStateOf({ code: "P2010", meta: { driverAdapterError: { cause: { originalCode: "23503" } } } }), "23503");
  assert.equal(sqlStateOf({ code: "P2010", meta: {} }), undefined);
  assert.equal(sqlStateOf(new Error("x")), undefined);
  assert.equal(sqlStateOf(null), undefined);
  assert.equal(sqlStateOf({ meta: { driverAdapterError: { cause: { originalCode: 23503 } } } }), undefined);
});

test("sqlStateOf follows Error.cause, a bounded number of links", () => {
  const inner = { code: "P2039", meta: { driverAdapterError: { cause: { originalCode: "57P03" } } } };
  assert.equal(sqlStateOf(new Error("outer", { cause: new Error("middle", { cause: inner }) })), "57P03");
  const loop: { cause?: unknown } = {};
  loop.cause = loop;
  assert.equal(sqlStateOf(loop), undefined);
});
