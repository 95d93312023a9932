import { test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { sqlStateOf } from "../../src/db/sql-state.js";
import { databaseFailure } from "../../src/services/database-failure.js";

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

test("sqlStateOf reads the driver's own DatabaseError (a statement sent past Prisma)", () => {
  const err = new pg.DatabaseError("insert or update violates foreign key constraint", 0, "error");
  err.code = "23503";
  assert.equal(sqlStateOf(err), "23503");
  assert.equal(sqlStateOf(new Error("wrapped", { cause: err })), "23503");
  assert.equal(databaseFailure(err), "missing-reference");
  err.code = "23505";
  assert.equal(databaseFailure(err), "duplicate");
  err.code = "57P01";
  assert.equal(databaseFailure(err), "unavailable");
  err.code = "42601";
  assert.equal(databaseFailure(err), null);
});
