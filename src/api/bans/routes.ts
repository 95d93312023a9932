// /bans (global) and /lists/{list}/bans: add, page through, read, remove. A banned
// address cannot subscribe and its posts are discarded (banned-address rule).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { described, NoContent, problems, ref } from "../common/schemas.js";
import { Ban, BanListQuery, BanPage, BanParams, ListBanParams, ListParams, NewBan } from "./schemas.js";

const tags = ["bans"];
const location = (listId: string | null, email: string) =>
  `${listId ? `/lists/${listId}` : ""}/bans/${encodeURIComponent(email)}`;

const plugin: FastifyPluginAsyncTypebox = async (app) => {

  for (const scoped of [false, true]) {
    const base = scoped ? "/lists/:list/bans" : "/bans";
    const what = scoped ? "the list" : "every list";
    const listOf = (p: { list?: string }) => (scoped ? p.list! : null);
    app.post(base, {
      schema: {
        operationId: scoped ? "addListBan" : "addGlobalBan", summary: `Ban an address or pattern from ${what}`, tags,
        description: `Ban an address or pattern from ${what}.`,
        ...(scoped ? { params: ListParams } : {}),
        body: NewBan,
        response: { 201: ref(Ban, "The ban"), ...problems(400, 401, 404, 409) },
      },
    }, async (request, reply) => {
      const b = await app.services.bans.add(listOf(request.params as { list?: string }), request.body.email);
      return reply.code(201).header("location", location(b.listId, b.email)).send(b);
    });
    app.get(base, {
      schema: {
        operationId: scoped ? "listListBans" : "listGlobalBans", summary: `Bans from ${what}`, tags,
        description: `Bans from ${what}.`,
        ...(scoped ? { params: ListParams } : {}),
        querystring: BanListQuery,
        response: { 200: ref(BanPage, "A page of bans"), ...problems(400, 401, 404) },
      },
    }, async (request) => app.services.bans.list(listOf(request.params as { list?: string }), request.query));
    app.get(`${base}/:email`, {
      schema: {
        operationId: scoped ? "getListBan" : "getGlobalBan", summary: "One ban, as stored", tags,
        description: "One ban, as stored.",
        params: scoped ? ListBanParams : BanParams,
        response: { 200: ref(Ban, "The ban"), ...problems(401, 404) },
      },
    }, async (request) => app.services.bans.get(listOf(request.params as { list?: string }), request.params.email));
    app.delete(`${base}/:email`, {
      schema: {
        operationId: scoped ? "removeListBan" : "removeGlobalBan", summary: "Lift a ban", tags,
        description: "Lift a ban.",
        params: scoped ? ListBanParams : BanParams,
        response: { 204: described(NoContent, "Lifted"), ...problems(401, 404) },
      },
    }, async (request, reply) => {
      await app.services.bans.remove(listOf(request.params as { list?: string }), request.params.email);
      return reply.code(204).send(null);
    });
  }
};

export default plugin;
