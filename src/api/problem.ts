// The one translation of errors into RFC 9457 application/problem+json at the REST
// edge: MailroomError keeps its code and status, schema violations and malformed
// JSON are 400, a failed database call is mapped by what services/database-failure.ts
// says it means (duplicate 409, missing 404, unavailable 503), and anything
// unexpected is a 500 whose text is logged but never shown. Registered by app.ts.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MailroomError, type ErrorCode } from "../domain/errors.js";
import { databaseFailure, type DatabaseFailure } from "../services/database-failure.js";
import { ONE_LINE } from "./common/schemas.js";

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

const TITLES: Record<number, string> = {
  400: "Invalid input", 401: "Unauthorized", 404: "Not found", 405: "Method not allowed", 406: "Not acceptable",
  409: "Already exists", 413: "Request body too large", 415: "Unsupported media type", 429: "Too many requests",
  500: "Internal server error", 503: "Service unavailable",
};

const CODES: Record<number, string> = {
  400: "invalid-input", 401: "unauthorized", 404: "not-found", 409: "conflict", 413: "too-large",
  415: "unsupported-media-type", 500: "internal", 503: "unavailable",
};

export function problem(status: number, detail: string, code = CODES[status] ?? `http-${status}`, title = TITLES[status] ?? "Error"): ProblemDocument {
  return { type: `urn:mailroom:problem:${code}`, title, status, detail, code };
}

interface ValidationItem { instancePath?: string; message?: string; keyword?: string; params?: Record<string, unknown> }

/** "body.members/3/address must be string" style text naming the offending field. */
function validationDetail(err: FastifyError & { validation?: ValidationItem[]; validationContext?: string }): string {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const where = `${err.validationContext ?? "request"}${first.instancePath ?? ""}`;
  if (first.keyword === "additionalProperties") return `${where} has an unknown field "${String(first.params?.additionalProperty)}"`;
  if (first.keyword === "enum") return `${where} must be one of ${JSON.stringify(first.params?.allowedValues)}`;
  if (first.keyword === "pattern" && first.params?.pattern === ONE_LINE) return `${where} must be one line (no CR or LF)`;
  return `${where} ${first.message ?? "is invalid"}`;
}

const DATABASE_PROBLEMS: Record<DatabaseFailure, () => ProblemDocument> = {
  duplicate: () => problem(409, "a resource with the same unique key already exists", "conflict"),
  missing: () => problem(404, "the resource does not exist (any more)", "not-found"),
  "missing-reference": () => problem(404, "a resource it refers to does not exist (any more)", "not-found"),
  unavailable: () => problem(503, "the database is not reachable", "database-unavailable", "Database unavailable"),
};

/** Seconds a client should wait before retrying a 503 (a PostgreSQL restart takes a few). */
export const RETRY_AFTER_SECONDS = 5;

export function toProblem(err: unknown): ProblemDocument {
  if (err instanceof MailroomError) return problem(err.status, err.message, err.code satisfies ErrorCode, err.title);
  const e = err as FastifyError & { validation?: ValidationItem[]; validationContext?: string };
  if (e && typeof e === "object") {
    if (e.validation) return problem(400, validationDetail(e));
    const failure = databaseFailure(e);
    if (failure) return DATABASE_PROBLEMS[failure]();
    if (e instanceof SyntaxError || e.code === "FST_ERR_CTP_INVALID_JSON_BODY") return problem(400, `malformed JSON body: ${e.message}`);
    const status = typeof e.statusCode === "number" ? e.statusCode : 500;
    if (status >= 400 && status < 500) return problem(status, e.message);
  }
  return problem(500, "an unexpected error occurred; it has been logged");
}

/** For errors Fastify raises before routing (a URL that is not valid percent-encoding). */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const doc = toProblem(err);
  void withRetryAfter(reply, doc).code(doc.status).type("application/problem+json").send(doc);
}

/** RFC 9110 10.2.3: a 503 says when to come back. */
function withRetryAfter(reply: FastifyReply, doc: ProblemDocument): FastifyReply {
  return doc.status === 503 ? reply.header("retry-after", String(RETRY_AFTER_SECONDS)) : reply;
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const doc = toProblem(err);
    if (doc.status >= 500) request.log.error({ err }, "request failed");
    else if (doc.status !== 401) request.log.info({ status: doc.status, code: doc.code }, doc.detail);
    return withRetryAfter(reply, doc).code(doc.status).type("application/problem+json").send(doc);
  });
  app.setNotFoundHandler((request, reply) => {
    const doc = problem(404, `no route for ${request.method} ${request.url.split("?")[0]}`);
    return reply.code(404).type("application/problem+json").send(doc);
  });
}
