// The site's suspicious-header lines (MAILROOM_SUSPICIOUS_HEADERS_FILE), read once
// when the workers start. A line that does not parse stops the start with its text:
// an operator's typo should not silently let every post through.
import { readFileSync } from "node:fs";
import { parseHeaderPatterns, type HeaderPattern } from "../domain/header-patterns.js";

export function readSiteHeaderPatterns(path: string | null): HeaderPattern[] {
  if (!path) return [];
  const { patterns, errors } = parseHeaderPatterns(readFileSync(path, "utf8"));
  if (errors[0]) throw new Error(`${path}: "${errors[0].line}": ${errors[0].problem}`);
  return patterns;
}
