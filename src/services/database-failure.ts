// What a failed database call means to a caller, as a value: the REST edge turns it
// into a status (api/problem.ts), so it never has to read driver or Prisma errors
// itself; services/members.ts tells a list deleted meanwhile by it too. Prisma's codes (P…), PostgreSQL's SQLSTATEs behind a failed raw query, and
// the drivers' socket errors all land in one of these.
import { sqlStateOf } from "../db/sql-state.js";

export type DatabaseFailure =
  /** A unique key is taken (a concurrent create won). */
  | "duplicate"
  /** The row is gone (deleted meanwhile). */
  | "missing"
  /** A row it refers to is gone (a list created while its domain is deleted). */
  | "missing-reference"
  /** The database cannot be reached, or is not accepting connections. */
  | "unavailable";

// Socket errors from pg, and the SQLSTATEs of a server that cannot serve now:
// shutting down, crashed, starting up or in recovery (57P03), too many connections.
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE", "57P01", "57P02", "57P03", "53300"]);

export function databaseFailure(error: unknown): DatabaseFailure | null {
  if (!error || typeof error !== "object") return null;
  const err = error as { code?: unknown; message?: unknown };
  const message = String(err.message ?? "");
  // Prisma wraps the server's refusal (P2010, P2039…): the SQLSTATE is further down.
  const state = sqlStateOf(err);
  if (state && CONNECTION_CODES.has(state)) return "unavailable";
  switch (err.code) {
    case "P2002": return "duplicate";
    case "P2025": return "missing";
    case "P2003": return "missing-reference";
    case "P1001": case "P1002": case "P1017": case "P2024": return "unavailable";
    case "P2010": // a raw query failed: look at why
      if (state === "23505") return "duplicate";
      if (state === "23503") return "missing-reference";
      if (/can't reach database server|connection (terminated|refused|closed)/i.test(message)) return "unavailable";
      return null;
  }
  // A statement sent past Prisma (Database.statement): the driver's error, the SQLSTATE its code.
  if (state !== undefined && err.code === state) {
    if (state === "23505") return "duplicate";
    if (state === "23503") return "missing-reference";
  }
  if (typeof err.code === "string" && CONNECTION_CODES.has(err.code)) return "unavailable";
  // A unix socket that is not there (the embedded server stopped): a connect's ENOENT.
  if (err.code === "ENOENT" && (error as { syscall?: unknown }).syscall === "connect") return "unavailable";
  return null;
}
