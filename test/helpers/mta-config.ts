// What the Exim and Sendmail test instances share: where scripts/install-mtas.sh
// unpacked the packages, and the configuration text, read from the docs page that
// shows it (docs/exim.md, docs/sendmail.md) so the docs and the tests cannot drift.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** scripts/install-mtas.sh's target. */
export const MTAS_DIR = process.env.MAILROOM_MTAS_DIR || "/opt/mailroom-mtas";

/** The unpacked root of `name` (exim4, sendmail); throws, with the fix, when it is not there. */
export function mtaRoot(name: "exim4" | "sendmail"): string {
  const root = join(MTAS_DIR, name);
  if (!existsSync(join(root, ".done"))) {
    throw new Error(`${name} is not unpacked under ${MTAS_DIR}: run scripts/install-mtas.sh as root (.ci/run does)`);
  }
  return root;
}

/** The fenced block that follows the line containing `marker` in docs/`page`. */
export function docBlock(page: string, marker: string): string {
  const text = readFileSync(new URL(`../../docs/${page}`, import.meta.url), "utf8");
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`docs/${page} has no "${marker}"`);
  const m = /```[^\n]*\n([\s\S]*?)\n```/.exec(text.slice(at));
  if (!m) throw new Error(`docs/${page}: no code block after "${marker}"`);
  return m[1]! + "\n";
}

/**
 * Replaces the value of each named setting, found by `line(name)` (a RegExp whose
 * first group is everything before the value); throws if a name is missing.
 */
export function withValues(text: string, values: Record<string, string | number>, line: (name: string) => RegExp): string {
  let out = text;
  for (const [name, value] of Object.entries(values)) {
    const re = line(name);
    if (!re.test(out)) throw new Error(`configuration has no ${name} to set`);
    // Groups after the first (a closing quote) are kept; replace() then passes the offset, a number.
    out = out.replace(re, (...m: unknown[]) => `${m[1]}${value}${typeof m[2] === "string" ? m[2] : ""}`);
  }
  return out;
}
