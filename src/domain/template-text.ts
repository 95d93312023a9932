// Mailman's templates as data (interfaces/template.py, utilities/string.py): the
// template names, the $-substitution every template goes through, and the order of
// languages a notice is looked up in. Pure; the loader (services/template-loader.ts)
// finds the text, services/notices.ts and decoration fill it in.

/** Every template name Mailman knows; mailroom ships a file for each under templates/en/. */
export const TEMPLATE_NAMES = [
  "domain:admin:notice:new-list", "list:admin:action:post", "list:admin:action:subscribe", "list:admin:action:unsubscribe",
  "list:admin:notice:disable", "list:admin:notice:increment", "list:admin:notice:pending", "list:admin:notice:removal",
  "list:admin:notice:subscribe", "list:admin:notice:unrecognized", "list:admin:notice:unsubscribe", "list:member:digest:footer",
  "list:member:digest:header", "list:member:digest:masthead", "list:member:regular:footer", "list:member:regular:header",
  "list:user:action:invite", "list:user:action:subscribe", "list:user:action:unsubscribe", "list:user:notice:goodbye",
  "list:user:notice:hold", "list:user:notice:no-more-today", "list:user:notice:post", "list:user:notice:probe",
  "list:user:notice:refuse", "list:user:notice:rejected", "list:user:notice:warning", "list:user:notice:welcome",
] as const;

export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export const isTemplateName = (s: string): s is TemplateName => (TEMPLATE_NAMES as readonly string[]).includes(s);

/** A language code as Mailman and the preferences API take it (en, de, pt_BR, zh-Hant). */
export const LANGUAGE_PATTERN = /^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/;

/**
 * Python's string.Template.safe_substitute, which Mailman's expand() uses: `$name` and
 * `${name}` are replaced, `$$` is a dollar sign, and unknown names stay as written.
 */
export function expand(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, dollar?: string, a?: string, b?: string) => {
    if (dollar) return "$";
    const key = (a ?? b)!;
    return Object.hasOwn(vars, key) ? vars[key]! : whole;
  });
}

/**
 * The languages to try, best first: the recipient's own, the list's, then English
 * (Mailman's i18n search order without a site default other than English).
 */
export function languageChain(...preferred: (string | null | undefined)[]): string[] {
  const out: string[] = [];
  for (const l of [...preferred, "en"]) if (l && LANGUAGE_PATTERN.test(l) && !out.includes(l)) out.push(l);
  return out;
}
