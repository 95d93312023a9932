// toProblem: the one mapping of errors to RFC 9457 documents, table-driven over the
// error shapes Prisma, pg and Fastify actually raise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MailroomError } from "../../src/domain/errors.js";
import { toProblem } from "../../src/api/problem.js";

const cases: [string, unknown, number, string][] = [
  ["a MailroomError keeps its code", new MailroomError("maps-unavailable", "postmap failed"), 503, "maps-unavailable"],
  ["Prisma unique violation", Object.assign(new Error("Unique constraint failed"), { code: "P2002" }), 409, "conflict"],
  ["unique violation in a raw query", Object.assign(new Error("Raw query failed"), { code: "P2010", meta: { driverAdapterError: { cause: { originalCode: "23505" } } } }), 409, "conflict"],
  ["record gone", Object.assign(new Error("not found"), { code: "P2025" }), 404, "not-found"],
  ["server unreachable (Prisma)", Object.assign(new Error("Can't reach database server at 127.0.0.1:5999"), { code: "P1001" }), 503, "database-unavailable"],
  ["server unreachable (raw)", Object.assign(new Error("Raw query failed. Code: `N/A`. Message: `Can't reach database server at x`"), { code: "P2010" }), 503, "database-unavailable"],
  ["server unreachable (pg)", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5999"), { code: "ECONNREFUSED" }), 503, "database-unavailable"],
  ["server shut down", Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }), 503, "database-unavailable"],
  ["server starting up, wrapped by Prisma (P2039)", Object.assign(new Error("Database error. Code: `57P03`"), { code: "P2039", meta: { driverAdapterError: { cause: { originalCode: "57P03" } } } }), 503, "database-unavailable"],
  ["server starting up, in a raw query (P2010)", Object.assign(new Error("Raw query failed. Code: `57P03`"), { code: "P2010", meta: { driverAdapterError: { cause: { originalCode: "57P03" } } } }), 503, "database-unavailable"],
  ["server starting up, wrapped once more", new Error("listing failed", { cause: Object.assign(new Error("x"), { code: "P2039", meta: { driverAdapterError: { cause: { originalCode: "57P03" } } } }) }), 503, "database-unavailable"],
  ["embedded server stopped (its unix socket gone)", Object.assign(new Error("connect ENOENT /var/lib/mailroom/run/.s.PGSQL.5432"), { code: "ENOENT", syscall: "connect" }), 503, "database-unavailable"],
  ["a missing file is no database failure", Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: "ENOENT", syscall: "open" }), 500, "internal"],
  ["Fastify 4xx keeps its status", Object.assign(new Error("Request body is too large"), { statusCode: 413, code: "FST_ERR_CTP_BODY_TOO_LARGE" }), 413, "too-large"],
  ["malformed JSON", new SyntaxError("Unexpected end of JSON input"), 400, "invalid-input"],
  ["a bug", new TypeError("cannot read properties of undefined (reading 'secret')"), 500, "internal"],
];

for (const [name, err, status, code] of cases) {
  test(`toProblem: ${name}`, () => {
    const p = toProblem(err);
    assert.equal(p.status, status);
    assert.equal(p.code, code);
    assert.equal(p.type, `urn:mailroom:problem:${code}`);
    assert.ok(p.title && p.detail);
    if (status === 500) assert.doesNotMatch(p.detail, /secret/, "5xx text is never shown");
  });
}
