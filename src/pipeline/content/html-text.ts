// text/html → text/plain for convertHtmlToPlaintext, by html-to-text (Mailman runs
// lynx -dump; a library in process needs no external program). Links keep their
// address in brackets, as lynx's reference list does; images, which a plain-text
// reader cannot see, are dropped.
import { convert } from "html-to-text";

const OPTIONS = {
  wordwrap: 72,
  selectors: [
    { selector: "img", format: "skip" },
    { selector: "a", options: { hideLinkHrefIfSameAsText: true } },
  ],
};

export function htmlToText(html: string): string {
  return convert(html, OPTIONS);
}
