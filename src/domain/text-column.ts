// Header text bound for a database text column. A decoded header can carry any
// character (RFC 2047 allows =00), but PostgreSQL refuses NUL in text, and one such
// value would roll back the transaction that hands the post on: it would never be
// delivered or held. Control characters other than tab go; the value is capped.
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/g;

export function textColumn(value: string, max = 1000): string {
  return value.replace(CONTROL, "").slice(0, max);
}
