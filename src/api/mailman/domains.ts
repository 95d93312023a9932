// domains, domains/{d}, domains/{d}/lists, domains/{d}/owners (Mailman rest/domains.py).
import type { FastifyInstance } from "fastify";
import { apiOf, badRequest, bool, collectionOf, etagged, list, many, pathTo, str, validate } from "./http.js";
import { domainOut, listOut, userOut } from "./represent.js";
import { listsPage, withoutPaging } from "./lists.js";

type P = { domain: string };

export default function domains(app: FastifyInstance): void {

  app.get("/domains", async (request) => {
    const api = apiOf(request);
    const all = (await app.services.domains.list()).items;
    return collectionOf(request.query as Record<string, unknown>, all.map((d) => domainOut(api, d)));
  });

  app.post("/domains", async (request, reply) => {
    const body = validate(request.body, {
      mail_host: str, description: str, alias_domain: str, owner: many(list(str)), base_url: str,
    }, { optional: ["description", "alias_domain", "owner", "base_url"] });
    const d = await app.services.domains.create({
      mailHost: body.mail_host!, ...(body.description ? { description: body.description } : {}), ...(body.alias_domain ? { aliasDomain: body.alias_domain } : {}),
    }).catch((err) => {
      // Mailman answers a duplicate domain with 400 "Duplicate email host".
      if ((err as { status?: number }).status === 409) throw badRequest(`Duplicate email host: ${body.mail_host}`);
      throw err;
    });
    for (const owner of body.owner ?? []) await app.services.domainOwners.add(d.mailHost, owner);
    return reply.code(201).header("location", pathTo(apiOf(request), `domains/${d.mailHost}`)).send();
  });

  app.get("/domains/:domain", async (request) => etagged(domainOut(apiOf(request), await app.services.domains.get((request.params as P).domain))));

  // Postorius's domain edit page: mailmanclient's Domain.save() PATCHes the writable pair.
  app.patch("/domains/:domain", async (request, reply) => {
    const body = validate(request.body, { description: str, alias_domain: str }, { optional: "all" });
    await app.services.domains.update((request.params as P).domain, {
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.alias_domain !== undefined ? { aliasDomain: body.alias_domain } : {}),
    });
    return reply.code(204).send();
  });

  app.delete("/domains/:domain", async (request, reply) => {
    const { domain } = request.params as P;
    await app.services.domains.remove(domain);
    return reply.code(204).send();
  });

  app.get("/domains/:domain/lists", async (request) => {
    const { domain } = request.params as P;
    await app.services.domains.get(domain);
    // mailmanclient's get_list_page(advertised=True, mail_host=…) asks here (Postorius's public index).
    const q = validate(withoutPaging(request.query as Record<string, unknown>), { advertised: bool }, { optional: "all" });
    return listsPage(app, request, domain, q.advertised);
  });

  app.get("/domains/:domain/owners", async (request) => {
    const api = apiOf(request);
    const owners = await app.services.domainOwners.list((request.params as P).domain);
    return collectionOf(request.query as Record<string, unknown>, owners.map((u) => userOut(api, u)));
  });
  app.post("/domains/:domain/owners", async (request, reply) => {
    const body = validate(request.body, { owner: many(list(str)) });
    for (const owner of body.owner ?? []) await app.services.domainOwners.add((request.params as P).domain, owner);
    return reply.code(204).send();
  });
  app.delete("/domains/:domain/owners", async (request, reply) => {
    await app.services.domainOwners.clear((request.params as P).domain);
    return reply.code(204).send();
  });
  void listOut;
}
