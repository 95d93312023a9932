// /domains: create, list, read, change (description, alias domain), delete.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { described, NoContent, problems, ref } from "../common/schemas.js";
import { Domain, DomainList, DomainPatch, MailHostParams, NewDomain } from "./schemas.js";

const tags = ["domains"];

const plugin: FastifyPluginAsyncTypebox = async (app) => {

  app.post("/domains", {
    schema: {
      operationId: "createDomain", summary: "Create a domain", tags,
      description: "Adds a mail host that lists can live under. The MTA's files (Postfix maps, Exim or Sendmail files) are regenerated before the answer.",
      body: NewDomain,
      response: { 201: ref(Domain, "The new domain"), ...problems(400, 401, 409, 503) },
    },
  }, async (request, reply) => {
    const d = await app.services.domains.create(request.body);
    return reply.code(201).header("location", `/domains/${encodeURIComponent(d.mailHost)}`).send(d);
  });

  app.get("/domains", {
    schema: {
      operationId: "listDomains", summary: "List domains", tags,
      description: "Every domain, ordered by mail host.",
      response: { 200: ref(DomainList, "Every domain"), ...problems(401) },
    },
  }, async () => app.services.domains.list());

  app.get("/domains/:mailHost", {
    schema: {
      operationId: "getDomain", summary: "Get a domain", tags,
      description: "One domain by its mail host (case-insensitive).",
      params: MailHostParams,
      response: { 200: ref(Domain, "The domain"), ...problems(401, 404) },
    },
  }, async (request) => app.services.domains.get(request.params.mailHost));

  app.patch("/domains/:mailHost", {
    schema: {
      operationId: "updateDomain", summary: "Change a domain", tags,
      description: "Changes the description or the alias domain. A new alias domain regenerates the MTA's files.",
      params: MailHostParams,
      body: DomainPatch,
      response: { 200: ref(Domain, "The domain as changed"), ...problems(400, 401, 404, 503) },
    },
  }, async (request) => app.services.domains.update(request.params.mailHost, request.body));

  app.delete("/domains/:mailHost", {
    schema: {
      operationId: "deleteDomain", summary: "Delete a domain and its lists", tags,
      description: "Deletes the domain together with all of its lists, their members and held messages.",
      params: MailHostParams,
      response: { 204: described(NoContent, "Deleted"), ...problems(401, 404, 503) },
    },
  }, async (request, reply) => {
    await app.services.domains.remove(request.params.mailHost);
    return reply.code(204).send(null);
  });
};

export default plugin;
