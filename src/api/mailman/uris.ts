// Template URIs of the site (uris), a domain (domains/{d}/uris) and a list
// (lists/{l}/uris), and one by name (Mailman rest/uris.py). Names are Mailman's
// template names; lists take list:* ones, domains also domain:*, the site all. The
// notices act on them (services/template-loader.ts, docs/templates.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TEMPLATE_NAMES } from "../../domain/template-text.js";
import type { TemplateScope } from "../../services/templates.js";
import { apiOf, badRequest, collectionOf, etagged, notFound, pathTo, str, validate } from "./http.js";

const ALL_TEMPLATES: string[] = [...TEMPLATE_NAMES];

interface Scope { scope: TemplateScope; key: string; prefix: string; names: string[] }

export default function uris(app: FastifyInstance): void {

  async function scopeOf(request: FastifyRequest): Promise<Scope> {
    const p = request.params as { list?: string; domain?: string };
    if (p.list !== undefined) {
      const l = await app.services.lists.get(p.list);
      return { scope: "list", key: l.listId, prefix: `lists/${l.listId}`, names: ALL_TEMPLATES.filter((n) => n.startsWith("list:")) };
    }
    if (p.domain !== undefined) {
      const d = await app.services.domains.get(p.domain);
      return { scope: "domain", key: d.mailHost, prefix: `domains/${d.mailHost}`, names: ALL_TEMPLATES };
    }
    return { scope: "site", key: "", prefix: "", names: ALL_TEMPLATES };
  }
  const out = (request: FastifyRequest, sc: Scope, t: { name: string; uri: string; username: string; password: string }) => ({
    uri: t.uri, name: t.name, self_link: pathTo(apiOf(request), `${sc.prefix ? `${sc.prefix}/` : ""}uris/${t.name}`),
    ...(t.username || t.password ? { username: t.username, password: t.password } : {}),
  });

  for (const base of ["/uris", "/domains/:domain/uris", "/lists/:list/uris"]) {
    app.get(base, async (request) => {
      const sc = await scopeOf(request);
      const all = (await app.services.templates.list(sc.scope, sc.key)).filter((t) => sc.names.includes(t.name));
      const c = collectionOf(request.query as Record<string, unknown>, all.map((t) => out(request, sc, t)));
      const { http_etag: _e, ...rest } = c;
      return etagged({ ...rest, self_link: pathTo(apiOf(request), `${sc.prefix ? `${sc.prefix}/` : ""}uris`) });
    });
    const write = (whole: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
      const sc = await scopeOf(request);
      const spec: Record<string, typeof str> = { username: str, password: str };
      for (const n of sc.names) spec[n] = str;
      const b = validate(request.body, spec, { optional: whole ? ["username", "password"] : "all" }) as Record<string, string | undefined>;
      const { username = "", password = "", ...names } = b;
      if (!!username !== !!password) throw badRequest("Specify both username and password, or neither");
      await app.services.templates.set(sc.scope, sc.key, Object.entries(names).map(([name, uri]) => ({ name, uri: uri ?? "", username, password })));
      return reply.code(204).send();
    };
    app.patch(base, write(false));
    app.put(base, write(true));
    app.delete(base, async (request, reply) => {
      const sc = await scopeOf(request);
      await app.services.templates.set(sc.scope, sc.key, sc.names.map((name) => ({ name, uri: "", username: "", password: "" })));
      return reply.code(204).send();
    });

    app.get(`${base}/:name`, async (request) => {
      const sc = await scopeOf(request);
      const name = (request.params as { name: string }).name;
      if (!sc.names.includes(name)) throw notFound();
      const t = await app.services.templates.get(sc.scope, sc.key, name).catch(() => { throw notFound(); });
      return etagged(out(request, sc, t));
    });
    app.delete(`${base}/:name`, async (request, reply) => {
      const sc = await scopeOf(request);
      const name = (request.params as { name: string }).name;
      if (!sc.names.includes(name)) throw notFound();
      await app.services.templates.remove(sc.scope, sc.key, name).catch(() => { throw notFound(); });
      return reply.code(204).send();
    });
  }
}
