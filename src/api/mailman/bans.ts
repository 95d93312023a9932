// bans and lists/{l}/bans (Mailman rest/bans.py): an address or ^pattern; GET
// bans/{email} answers for any address the bans match, as Mailman's is_banned does.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { apiOf, badRequest, collection, etagged, notFound, paging, pathTo, str, validate, type Api } from "./http.js";

const listOf = (r: FastifyRequest) => (r.params as { list?: string }).list ?? null;
const location = (api: Api, listId: string | null, email: string) => pathTo(api, `${listId ? `lists/${listId}/` : ""}bans/${email}`);

export default function bans(app: FastifyInstance): void {
  for (const base of ["/bans", "/lists/:list/bans"]) {
    app.get(base, async (request) => {
      const api = apiOf(request);
      const { offset, limit } = paging(request.query as Record<string, unknown>);
      const all = [];
      let cursor: string | undefined;
      do {
        const p = await app.services.bans.list(listOf(request), { limit: 1000, ...(cursor ? { cursor } : {}) });
        all.push(...p.items);
        cursor = p.nextCursor;
      } while (cursor);
      const slice = limit === null ? all : all.slice(offset, offset + limit);
      return collection(offset, all.length, slice.map((b) => ({
        email: b.email, self_link: location(api, b.listId, b.email), ...(b.listId ? { list_id: b.listId } : {}),
      })));
    });
    app.post(base, async (request, reply) => {
      const b = validate(request.body, { email: str });
      const ref = listOf(request);
      if (await app.services.bans.isBanned(ref, b.email!)) throw badRequest("Address is already banned");
      const ban = await app.services.bans.add(ref, b.email!).catch((err) => {
        if ((err as { status?: number }).status === 409) throw badRequest("Address is already banned");
        throw err;
      });
      return reply.code(201).header("location", location(apiOf(request), ban.listId, ban.email)).send();
    });
    app.get(`${base}/:email`, async (request) => {
      const email = (request.params as { email: string }).email;
      const ref = listOf(request);
      if (!(await app.services.bans.isBanned(ref, email))) throw notFound(`Email is not banned: ${email}`);
      const listId = ref ? (await app.services.lists.lookup(ref)).listId : null;
      return etagged({ email, self_link: location(apiOf(request), listId, email), ...(listId ? { list_id: listId } : {}) });
    });
    app.delete(`${base}/:email`, async (request, reply) => {
      const email = (request.params as { email: string }).email;
      await app.services.bans.remove(listOf(request), email).catch(() => { throw notFound(`Email is not banned: ${email}`); });
      return reply.code(204).send();
    });
  }
}
