// Keyset pagination on the integer primary key with an opaque cursor, shared by
// every "list of things" service. The cursor is the last id seen, base64url-encoded
// so clients treat it as a token rather than doing arithmetic on it.
import { invalid } from "../domain/errors.js";

export interface Page<T> {
  items: T[];
  total: number;
  nextCursor?: string;
}

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`).toString("base64url");
}

/** The id after which the page starts (0 for the first page). */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === "") return 0;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const m = /^id:(\d{1,10})$/.exec(text);
  // Ids are PostgreSQL integers: anything larger was not made by this API.
  if (!m || Number(m[1]) > 2_147_483_647) throw invalid(`cursor: "${cursor}" is not a cursor returned by this API`);
  return Number(m[1]);
}

export function pageLimit(limit: number | undefined): number {
  const n = limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw invalid(`limit must be between 1 and ${MAX_LIMIT}`);
  return n;
}

/** Builds the page from rows fetched with `take: limit + 1`. */
export function toPage<R extends { id: number }, T>(rows: R[], limit: number, total: number, shape: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const page: Page<T> = { items: kept.map(shape), total };
  if (more) page.nextCursor = encodeCursor(kept[kept.length - 1]!.id);
  return page;
}
