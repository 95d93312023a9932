// Domain errors: each has a stable code and the HTTP status it maps to at the REST
// edge (api/problem.ts). Other edges (LMTP, CLI) map them their own way.

export type ErrorCode =
  | "invalid-input"
  | "not-found"
  | "conflict"
  | "unauthorized"
  | "maps-unavailable"
  | "database-unavailable";

const STATUS: Record<ErrorCode, number> = {
  "invalid-input": 400,
  unauthorized: 401,
  "not-found": 404,
  conflict: 409,
  "maps-unavailable": 503,
  "database-unavailable": 503,
};

const TITLE: Record<ErrorCode, string> = {
  "invalid-input": "Invalid input",
  unauthorized: "Unauthorized",
  "not-found": "Not found",
  conflict: "Already exists",
  "maps-unavailable": "MTA files could not be updated",
  "database-unavailable": "Database unavailable",
};

export class MailroomError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(readonly code: ErrorCode, detail: string) {
    super(detail);
    this.name = "MailroomError";
    this.status = STATUS[code];
    this.title = TITLE[code];
  }
}

export const invalid = (detail: string) => new MailroomError("invalid-input", detail);
export const notFound = (detail: string) => new MailroomError("not-found", detail);
export const conflict = (detail: string) => new MailroomError("conflict", detail);
