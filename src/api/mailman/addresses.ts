// addresses, addresses/{email}, verify/unverify, memberships, preferences, user
// (Mailman rest/addresses.py).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { addressOut, memberOut, userOut } from "./represent.js";
import { apiOf, badRequest, bool, collection, etagged, notFound, paging, pathTo, str, uuidOut, validate } from "./http.js";
import { registerPreferences } from "./prefs.js";

type P = { email: string };

export default function addresses(app: FastifyInstance): void {
  const get = async (email: string) => app.services.addresses.get(email).catch(() => { throw notFound(); });

  app.get("/addresses", async (request) => {
    const api = apiOf(request);
    const { offset, limit } = paging(request.query as Record<string, unknown>);
    const all = [];
    let cursor: string | undefined;
    let total = 0;
    do {
      const p = await app.services.addresses.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
      all.push(...p.items);
      total = p.total;
      cursor = p.nextCursor;
      if (limit !== null && all.length >= offset + limit) break;
    } while (cursor);
    const slice = limit === null ? all : all.slice(offset, offset + limit);
    return collection(offset, total, slice.map((a) => addressOut(api, a)));
  });

  app.get("/addresses/:email", async (request) => etagged(addressOut(apiOf(request), await get((request.params as P).email))));

  app.delete("/addresses/:email", async (request, reply) => {
    await get((request.params as P).email);
    await app.services.addresses.remove((request.params as P).email);
    return reply.code(204).send();
  });

  for (const [path, verified] of [["verify", true], ["unverify", false]] as const) {
    app.post(`/addresses/:email/${path}`, async (request, reply) => {
      await get((request.params as P).email);
      await app.services.addresses.update((request.params as P).email, { verified });
      return reply.code(204).send();
    });
  }

  app.get("/addresses/:email/memberships", async (request) => {
    const api = apiOf(request);
    const a = await get((request.params as P).email);
    const { offset, limit } = paging(request.query as Record<string, unknown>);
    const found = await app.services.memberships.find({ subscriber: a.email }, offset, limit);
    return collection(offset, found.total, found.items.map((m) => memberOut(api, m)));
  });

  registerPreferences<P>(app, "/addresses/:email/preferences", {
    load: async (p) => { await get(p.email); return app.services.addresses.preferences(p.email); },
    save: async (p, patch) => { await get(p.email); return app.services.addresses.setPreferences(p.email, patch); },
    self: (p) => `addresses/${p.email.toLowerCase()}/preferences`,
  });

  app.get("/addresses/:email/user", async (request) => {
    const a = await get((request.params as P).email);
    if (!a.userId) throw notFound();
    return etagged(userOut(apiOf(request), await app.services.users.get(a.userId)));
  });
  // Link the address to a user (user_id), or to a new user made for it.
  const link = async (request: FastifyRequest, reply: FastifyReply) => {
    const email = (request.params as P).email;
    const a = await get(email);
    const b = validate(request.body, { user_id: str, display_name: str, password: str, auto_create: bool }, { optional: "all" });
    if (b.user_id !== undefined) {
      const u = await app.services.users.row(b.user_id).catch(() => { throw badRequest(`No user with ID ${b.user_id}`); });
      await app.services.users.linkAddress(u.uid, email, { absorb: true });
      return reply.code(200).send();
    }
    if (a.userId) return reply.code(200).send();
    const u = await app.services.users.create({ ...(b.display_name ? { displayName: b.display_name } : {}), ...(b.password ? { password: b.password } : {}) });
    await app.services.users.linkAddress(u.userId, email);
    return reply.code(201).header("location", pathTo(apiOf(request), `users/${uuidOut(apiOf(request), u.userId)}`)).send();
  };
  app.post("/addresses/:email/user", link);
  app.put("/addresses/:email/user", link);
  app.delete("/addresses/:email/user", async (request, reply) => {
    const a = await get((request.params as P).email);
    if (!a.userId) throw notFound();
    await app.services.users.unlinkAddress(a.userId, a.email);
    return reply.code(204).send();
  });
}
