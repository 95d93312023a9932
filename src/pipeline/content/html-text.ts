// text/html → text/plain for convertHtmlToPlaintext, by html-to-text (Mailman runs
// lynx -dump; a library in process needs no external program). Links keep their
// address in brackets, as lynx's reference list does; images, which a plain-text
// reader cannot see, are dropped.
// Hostile HTML is refused, not converted: html-to-text recurses per level (20,000
// nested <div>s overflow the stack) and its time and memory grow with the input (a
// 5.8 MB table took 87 s and 937 MB). Its limits cut silently (the input with a
// console warning, deep or wide content with an "ellipsis"), so the length is checked
// here and the ellipsis is a marker no HTML can contain: seen in the output, the
// content was cut and the post cannot be filtered faithfully.
import { randomBytes } from "node:crypto";
import { convert, type HtmlToTextOptions } from "html-to-text";

/** Beyond these the HTML is refused (1 MiB converts in about a second). */
export const HTML_LIMITS = { maxInputLength: 1 << 20, maxDepth: 200, maxChildNodes: 10_000 };

export type HtmlText = { ok: true; text: string } | { ok: false; reason: string };

export function htmlToText(html: string): HtmlText {
  if (html.length > HTML_LIMITS.maxInputLength) {
    return { ok: false, reason: `an HTML part is longer than ${HTML_LIMITS.maxInputLength} characters` };
  }
  // Digits, so an upper-casing format (headings) leaves it as it is.
  const cut = `\u{E000}${randomBytes(8).readBigUInt64BE()}\u{E000}`;
  const options: HtmlToTextOptions = {
    wordwrap: 72,
    selectors: [
      { selector: "img", format: "skip" },
      { selector: "a", options: { hideLinkHrefIfSameAsText: true } },
    ],
    limits: { ...HTML_LIMITS, ellipsis: cut },
  };
  const text = convert(html, options);
  if (text.includes(cut)) {
    return { ok: false, reason: `an HTML part is nested more than ${HTML_LIMITS.maxDepth} levels deep or has more than ${HTML_LIMITS.maxChildNodes} elements in one` };
  }
  return { ok: true, text };
}
