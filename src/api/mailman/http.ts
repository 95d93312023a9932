// What every resource of the Mailman face shares: Mailman's error bodies (falcon's
// {"title": "400 Bad Request", "description": …}), self_link URLs built from the
// request's Host as Mailman builds them from its configured host and port,
// http_etag, collections with ?count=&page=, ids in 3.0 (integer) and 3.1 (hex)
// form, and converters for form-encoded or JSON values (Mailman rest/validator.py).
import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { MailroomError } from "../../domain/errors.js";

const REASONS: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 500: "Internal Server Error" };

export class MailmanError extends Error {
  constructor(readonly status: number, readonly description?: string) {
    super(description ?? `${status} ${REASONS[status] ?? ""}`);
  }
}

export const badRequest = (d?: string) => new MailmanError(400, d);
export const notFound = (d?: string) => new MailmanError(404, d);
export const conflict = (d?: string) => new MailmanError(409, d);
export const forbidden = (d?: string) => new MailmanError(403, d);

/** The body Mailman (falcon) answers an error with. */
export function errorBody(status: number, description?: string): Record<string, string> {
  const body: Record<string, string> = { title: `${status} ${REASONS[status] ?? "Error"}` };
  if (description) body.description = description;
  return body;
}

/** A mailroom service error in Mailman's terms (404 stays 404, 409 stays 409, the rest 400). */
export function fromService(err: unknown): MailmanError | null {
  if (err instanceof MailmanError) return err;
  if (err instanceof MailroomError && err.status < 500) return new MailmanError(err.status === 401 ? 400 : err.status, err.message);
  return null;
}

export interface Api { version: "3.0" | "3.1"; base: string }

export function apiOf(request: FastifyRequest): Api {
  const version = request.url.startsWith("/3.0") ? "3.0" : "3.1";
  return { version, base: `http://${request.headers.host ?? "localhost:8001"}/${version}` };
}

export const pathTo = (api: Api, path: string) => `${api.base}/${path}`;

/** Mailman's etag: a SHA-1 of a stable rendering of the resource, quoted. */
export function etagged<T extends Record<string, unknown>>(resource: T): T & { http_etag: string } {
  const hash = createHash("sha1").update(JSON.stringify(resource, Object.keys(resource).sort())).digest("hex");
  return { ...resource, http_etag: `"${hash}"` };
}

/** ?count=&page= (both or neither); 400 for a bad value, as Mailman's _paginate. */
export function paging(query: Record<string, unknown>): { offset: number; limit: number | null } {
  const count = query.count, page = query.page;
  if (count === undefined && page === undefined) return { offset: 0, limit: null };
  const c = Number(count ?? 0), p = Number(page ?? 1);
  if (!Number.isInteger(c) || c < 0) throw badRequest('Invalid parameter "count": count should be a positive integer.');
  if (!Number.isInteger(p) || p < 1) throw badRequest('Invalid parameter "page": page should be greater than 0.');
  return { offset: (p - 1) * c, limit: c };
}

/** {start, total_size, entries?} with each entry etagged; `entries` absent when empty, as Mailman does. */
export function collection(start: number, total: number, entries: Record<string, unknown>[]) {
  const out: Record<string, unknown> = { start, total_size: total };
  if (entries.length) out.entries = entries.map((e) => etagged(e));
  return etagged(out);
}

/** A whole in-memory collection, sliced by ?count=&page=. */
export function collectionOf(query: Record<string, unknown>, all: Record<string, unknown>[]) {
  const { offset, limit } = paging(query);
  return collection(offset, all.length, limit === null ? all : all.slice(offset, offset + limit));
}

// ---- ids: Mailman's user_id / member_id are UUIDs: an integer in 3.0, hex in 3.1.

export function uuidOut(api: Api, uuid: string): string {
  const hex = uuid.replaceAll("-", "");
  return api.version === "3.0" ? BigInt(`0x${hex}`).toString() : hex;
}

/** Our integer member ids in the same two forms (a 128-bit value whose low bits are the row id). */
export function memberIdOut(api: Api, id: number): string | number {
  return api.version === "3.0" ? id : id.toString(16).padStart(32, "0");
}

export function memberIdIn(raw: string): number | null {
  let n: bigint;
  if (/^[0-9a-f]{32}$/i.test(raw)) n = BigInt(`0x${raw}`);
  else if (/^\d{1,39}$/.test(raw)) n = BigInt(raw);
  else return null;
  return n > 0n && n <= 2_147_483_647n ? Number(n) : null;
}

// ---- values: form fields arrive as strings (or arrays), JSON ones typed.

export type Converter<T> = (v: unknown) => T;

export const str: Converter<string> = (v) => {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new TypeError("not a string");
};

export const bool: Converter<boolean> = (v) => {
  if (typeof v === "boolean") return v;
  const s = str(v).trim().toLowerCase();
  if (["true", "yes", "1", "on"].includes(s)) return true;
  if (["false", "no", "0", "off"].includes(s)) return false;
  throw new TypeError(`Invalid boolean value: ${String(v)}`);
};

export const int: Converter<number> = (v) => {
  const n = typeof v === "number" ? v : Number(str(v).trim());
  if (!Number.isInteger(n) || str(v).trim() === "") throw new TypeError("not an integer");
  return n;
};

export const oneOf = <T extends string>(values: readonly T[]): Converter<T> => (v) => {
  const s = str(v);
  if (!(values as readonly string[]).includes(s)) throw new TypeError(`Accepted Values are: ${values.join(", ")}`);
  return s as T;
};

export const list = <T>(each: Converter<T>): Converter<T[]> => (v) => (Array.isArray(v) ? v : [v]).map(each);

export const nullable = <T>(each: Converter<T>): Converter<T | null> => (v) => (v === null || v === "" ? null : each(v));

/**
 * Mailman's Validator: every field converted, unknown fields and missing required
 * ones a 400 naming them. `optional` lists fields that may be absent (for PATCH, all).
 */
export function validate<S extends Record<string, Converter<unknown>>>(
  body: unknown, spec: S, opts: { optional?: readonly (keyof S)[] | "all" } = {},
): { [K in keyof S]?: ReturnType<S[K]> } {
  const input = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => !Object.hasOwn(spec, k));
  if (unknown.length) throw badRequest(`Unexpected parameters: ${unknown.sort().join(", ")}`);
  const out: Record<string, unknown> = {};
  const bad: string[] = [];
  for (const [key, convert] of Object.entries(spec)) {
    if (!Object.hasOwn(input, key)) continue;
    let value = input[key];
    // A single form field arrives as a string; take the last when repeated, unless a list is wanted.
    if (Array.isArray(value) && convert.name !== "listConverter" && !(convert as { many?: boolean }).many) value = value.at(-1);
    try {
      out[key] = convert(value);
    } catch (err) {
      bad.push(`${key}${err instanceof Error && err.message && !/^not an? /.test(err.message) ? ` (${err.message})` : ""}`);
    }
  }
  if (bad.length) throw badRequest(`Cannot convert parameters: ${bad.join(", ")}`);
  if (opts.optional !== "all") {
    const optional = new Set(opts.optional ?? []);
    const missing = Object.keys(spec).filter((k) => !optional.has(k) && !Object.hasOwn(input, k));
    if (missing.length) throw badRequest(`Missing parameters: ${missing.sort().join(", ")}`);
  }
  return out as { [K in keyof S]?: ReturnType<S[K]> };
}

/** Marks a converter as taking repeated form fields as a list. */
export function many<T>(c: Converter<T[]>): Converter<T[]> {
  return Object.assign((v: unknown) => c(v), { many: true });
}

/** Mailman's ISO timestamps have no zone and microseconds. */
export const when = (d: Date | null | undefined): string | undefined => (d ? d.toISOString().replace("Z", "").replace(/\.(\d{3})$/, ".$1000") : undefined);
