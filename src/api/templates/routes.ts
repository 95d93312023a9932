// /templates (the site), /domains/{domain}/templates and /lists/{list}/templates:
// mailroom's own face of template overrides (docs/templates.md). An override is
// text or a URI, for one language or all; GET …/{name} shows what a notice would be
// built from now (the lookup list → domain → site → shipped file, by language).
// Mailman's /3.1/…/uris are the same rows (api/mailman/uris.ts).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { notFound } from "../../domain/errors.js";
import type { TemplateName } from "../../domain/template-text.js";
import type { TemplateOverride as Override, TemplateScope } from "../../services/templates.js";
import type { TemplateTarget } from "../../services/template-loader.js";
import { described, NoContent, problems } from "../common/schemas.js";
import {
  DomainNameParams, DomainParams, DropQuery, ListNameParams, ListParams, NewTemplateOverride, ResolvedTemplate, SiteParams,
  TemplateOverride, TemplateOverrides, TemplateQuery,
} from "./schemas.js";

const tags = ["templates"];

interface Scope { scope: TemplateScope; key: string; target: TemplateTarget }

/** The scope a request names; a list takes only list:* templates (as Mailman's uris). */
async function scopeOf(app: FastifyInstance, p: { list?: string; domain?: string; name?: string }): Promise<Scope> {
  if (p.list !== undefined) {
    if (p.name !== undefined && !p.name.startsWith("list:")) throw notFound(`a list has no template ${p.name}`);
    const l = await app.services.lists.get(p.list);
    return { scope: "list", key: l.listId, target: { list: { listId: l.listId, listName: l.name, mailHost: l.domain, preferredLanguage: l.preferredLanguage } } };
  }
  if (p.domain !== undefined) {
    const d = await app.services.domains.get(p.domain);
    return { scope: "domain", key: d.mailHost, target: { mailHost: d.mailHost } };
  }
  return { scope: "site", key: "", target: {} };
}

const shown = ({ password: _p, ...o }: Override) => o;

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  const scopes = [
    { base: "/templates", id: "Site", what: "the site", params: undefined, named: SiteParams },
    { base: "/domains/:domain/templates", id: "Domain", what: "a domain", params: DomainParams, named: DomainNameParams },
    { base: "/lists/:list/templates", id: "List", what: "a list", params: ListParams, named: ListNameParams },
  ];
  for (const s of scopes) {
    app.get(s.base, {
      schema: {
        operationId: `list${s.id}Templates`, summary: `Template overrides of ${s.what}`, tags,
        description: `Every template override of ${s.what}, all languages (passwords are not shown).`,
        ...(s.params ? { params: s.params } : {}),
        response: { 200: described(TemplateOverrides, "The overrides"), ...problems(401, 404) },
      },
    }, async (request) => {
      const sc = await scopeOf(app, request.params as { list?: string; domain?: string });
      const items = (await app.services.templates.overrides(sc.scope, sc.key)).map(shown);
      return { items, total: items.length };
    });

    app.get(`${s.base}/:name`, {
      schema: {
        operationId: `resolve${s.id}Template`, summary: `The template in force for ${s.what}`, tags,
        description: "The text a notice would be built from now, before substitution: the first of this scope's override, " +
          "the broader scopes' overrides and the shipped file, in ?language= (else the list's language), then English.",
        params: s.named, querystring: TemplateQuery,
        response: { 200: described(ResolvedTemplate, "The template and where it came from"), ...problems(400, 401, 404) },
      },
    }, async (request) => {
      const p = request.params as { list?: string; domain?: string; name: TemplateName };
      const sc = await scopeOf(app, p);
      const t = await app.services.templates.resolve(p.name, { ...sc.target, language: request.query.language ?? null });
      return { name: p.name, ...t };
    });

    app.put(`${s.base}/:name`, {
      schema: {
        operationId: `set${s.id}Template`, summary: `Override a template for ${s.what}`, tags,
        description: "Sets the template's text, or a URI to fetch it from, for one language or (without language) all of them.",
        params: s.named, body: NewTemplateOverride,
        response: { 200: described(TemplateOverride, "The override as stored"), ...problems(400, 401, 404) },
      },
    }, async (request) => {
      const p = request.params as { list?: string; domain?: string; name: TemplateName };
      const sc = await scopeOf(app, p);
      const b = request.body;
      const o: Override = {
        name: p.name, language: b.language ?? "", text: b.text ?? null, uri: b.uri ?? "", username: b.username ?? "", password: b.password ?? "",
      };
      await app.services.templates.put(sc.scope, sc.key, o);
      return shown(o);
    });

    app.delete(`${s.base}/:name`, {
      schema: {
        operationId: `remove${s.id}Template`, summary: `Remove a template override of ${s.what}`, tags,
        description: "Removes the override for ?language=, or the all-languages one without it.",
        params: s.named, querystring: DropQuery,
        response: { 204: described(NoContent, "Removed"), ...problems(401, 404) },
      },
    }, async (request, reply) => {
      const p = request.params as { list?: string; domain?: string; name: TemplateName };
      const sc = await scopeOf(app, p);
      await app.services.templates.drop(sc.scope, sc.key, p.name, request.query.language ?? "");
      return reply.code(204).send(null);
    });
  }
};

export default plugin;
