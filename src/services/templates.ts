// Template overrides for the site, a domain or a list (Mailman's uris resources and
// ITemplateManager, and mailroom's native /templates): a template name mapped, for
// every language ("") or one, to a URI to fetch (with optional credentials) or to
// the text itself. Read by the loader (template-loader.ts); docs/templates.md.
import { invalid, notFound } from "../domain/errors.js";
import type { TemplateName } from "../domain/template-text.js";
import { templateUriProblem } from "../domain/template-uri.js";
import type { ServiceDeps } from "./deps.js";
import type { LoadedTemplate, TemplateLoader, TemplateTarget } from "./template-loader.js";

export type TemplateScope = "site" | "domain" | "list";
export interface TemplateView { name: string; uri: string; username: string; password: string }
/** An override as the native API shows it: text or uri, for one language or all (""). */
export interface TemplateOverride { name: string; language: string; uri: string; text: string | null; username: string; password: string }

const key = (scope: TemplateScope, scopeKey: string, name: string, language = "") =>
  ({ scope_scopeKey_name_language: { scope, scopeKey, name, language } });

/** A URI the loader could never resolve is refused when written, not found out at the next notice. */
function checkUri(uri: string): void {
  const problem = uri === "" ? null : templateUriProblem(uri);
  if (problem) throw invalid(problem);
}

export function createTemplateService({ db }: ServiceDeps, loader: TemplateLoader) {
  return {
    /** What a notice for `target` would be built from now (native GET …/templates/{name}). */
    resolve(name: TemplateName, target: TemplateTarget): Promise<LoadedTemplate> {
      return loader.load(db.prisma, name, target);
    },

    /** Mailman's uris: the language-independent URI overrides of a scope. */
    async list(scope: TemplateScope, scopeKey: string): Promise<TemplateView[]> {
      const rows = await db.prisma.template.findMany({ where: { scope, scopeKey, language: "", text: null }, orderBy: { name: "asc" } });
      return rows.map(({ name, uri, username, password }) => ({ name, uri, username, password }));
    },

    async get(scope: TemplateScope, scopeKey: string, name: string): Promise<TemplateView> {
      const t = await db.prisma.template.findUnique({ where: key(scope, scopeKey, name) });
      if (!t || t.text !== null) throw notFound(`no template ${name}`);
      return { name: t.name, uri: t.uri, username: t.username, password: t.password };
    },

    /** Sets (or, with an empty uri, removes) each named URI for every language. */
    async set(scope: TemplateScope, scopeKey: string, templates: TemplateView[]): Promise<void> {
      for (const t of templates) checkUri(t.uri);
      await db.prisma.$transaction(templates.map((t) => t.uri === ""
        ? db.prisma.template.deleteMany({ where: { scope, scopeKey, name: t.name, language: "" } })
        : db.prisma.template.upsert({
          where: key(scope, scopeKey, t.name),
          create: { scope, scopeKey, ...t },
          update: { uri: t.uri, text: null, username: t.username, password: t.password },
        })));
    },

    async remove(scope: TemplateScope, scopeKey: string, name: string): Promise<void> {
      const gone = await db.prisma.template.deleteMany({ where: { scope, scopeKey, name, language: "" } });
      if (gone.count === 0) throw notFound(`no template ${name}`);
    },

    /** Native API: every override of a scope, all languages, text or URI. */
    async overrides(scope: TemplateScope, scopeKey: string, name?: string): Promise<TemplateOverride[]> {
      const rows = await db.prisma.template.findMany({ where: { scope, scopeKey, ...(name ? { name } : {}) }, orderBy: [{ name: "asc" }, { language: "asc" }] });
      return rows.map(({ name, language, uri, text, username, password }) => ({ name, language, uri, text, username, password }));
    },

    /** Native API: sets one override (text, or a URI with optional credentials). */
    async put(scope: TemplateScope, scopeKey: string, o: TemplateOverride): Promise<void> {
      if ((o.text === null) === (o.uri === "")) throw invalid("give exactly one of text and uri");
      if (!!o.username !== !!o.password) throw invalid("give both username and password, or neither");
      if (o.text === null) checkUri(o.uri);
      const data = { uri: o.text === null ? o.uri : "", text: o.text, username: o.username, password: o.password };
      await db.prisma.template.upsert({
        where: key(scope, scopeKey, o.name, o.language),
        create: { scope, scopeKey, name: o.name, language: o.language, ...data },
        update: data,
      });
    },

    /** Native API: removes one override (one language, or the all-languages one). */
    async drop(scope: TemplateScope, scopeKey: string, name: string, language: string): Promise<void> {
      const gone = await db.prisma.template.deleteMany({ where: { scope, scopeKey, name, language } });
      if (gone.count === 0) throw notFound(`no ${language ? `${language} ` : ""}override of ${name}`);
    },
  };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
