// Template URIs for the site, a domain or a list (Mailman's uris resources and
// ITemplateManager): a template name (e.g. list:member:regular:footer) mapped to a
// URI, with optional credentials to fetch it. Stored and returned; see
// docs/mailman-api.md for which names mailroom acts on.
import { notFound } from "../domain/errors.js";
import type { ServiceDeps } from "./deps.js";

export type TemplateScope = "site" | "domain" | "list";
export interface TemplateView { name: string; uri: string; username: string; password: string }

export function createTemplateService({ db }: ServiceDeps) {
  return {
    async list(scope: TemplateScope, key: string): Promise<TemplateView[]> {
      const rows = await db.prisma.template.findMany({ where: { scope, scopeKey: key }, orderBy: { name: "asc" } });
      return rows.map(({ name, uri, username, password }) => ({ name, uri, username, password }));
    },

    async get(scope: TemplateScope, key: string, name: string): Promise<TemplateView> {
      const t = await db.prisma.template.findUnique({ where: { scope_scopeKey_name: { scope, scopeKey: key, name } } });
      if (!t) throw notFound(`no template ${name}`);
      return { name: t.name, uri: t.uri, username: t.username, password: t.password };
    },

    /** Sets (or, with an empty uri, removes) each named template. */
    async set(scope: TemplateScope, key: string, templates: TemplateView[]): Promise<void> {
      await db.prisma.$transaction(templates.map((t) => t.uri === ""
        ? db.prisma.template.deleteMany({ where: { scope, scopeKey: key, name: t.name } })
        : db.prisma.template.upsert({
          where: { scope_scopeKey_name: { scope, scopeKey: key, name: t.name } },
          create: { scope, scopeKey: key, ...t },
          update: { uri: t.uri, username: t.username, password: t.password },
        })));
    },

    async remove(scope: TemplateScope, key: string, name: string): Promise<void> {
      const gone = await db.prisma.template.deleteMany({ where: { scope, scopeKey: key, name } });
      if (gone.count === 0) throw notFound(`no template ${name}`);
    },

    /** Removes every template of a domain or list (when it is deleted). */
    async clear(scope: TemplateScope, key: string): Promise<void> {
      await db.prisma.template.deleteMany({ where: { scope, scopeKey: key } });
    },
  };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
