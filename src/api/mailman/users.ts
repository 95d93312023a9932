// users, users/{id}, users/{id}/addresses, preferred_address, preferences, login
// (Mailman rest/users.py). {id} is the user id (3.0 integer, 3.1 hex) or an address.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MailroomError } from "../../domain/errors.js";
import { addressOut, userOut } from "./represent.js";
import { apiOf, badRequest, bool, collectionOf, etagged, forbidden, notFound, paging, collection, pathTo, str, uuidOut, validate } from "./http.js";
import { registerPreferences } from "./prefs.js";

type P = { user: string };

export default function users(app: FastifyInstance): void {
  const row = async (ref: string) => app.services.users.row(ref).catch(() => { throw notFound(); });

  app.get("/users", async (request) => {
    const api = apiOf(request);
    const { offset, limit } = paging(request.query as Record<string, unknown>);
    // Users in creation order, a page through the service's keyset pages.
    const all = [];
    let cursor: string | undefined;
    do {
      const p = await app.services.users.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
      all.push(...p.items);
      cursor = p.nextCursor;
      if (limit !== null && all.length >= offset + limit) break;
    } while (cursor);
    const total = (await app.services.users.list({ limit: 1 })).total;
    const slice = limit === null ? all : all.slice(offset, offset + limit);
    return collection(offset, total, slice.map((u) => userOut(api, u)));
  });

  app.post("/users", async (request, reply) => {
    const b = validate(request.body, { email: str, display_name: str, password: str, is_server_owner: bool },
      { optional: ["display_name", "password", "is_server_owner"] });
    try {
      const u = await app.services.users.create({
        email: b.email!, ...(b.display_name !== undefined ? { displayName: b.display_name } : {}),
        ...(b.password !== undefined ? { password: b.password } : {}), ...(b.is_server_owner !== undefined ? { isServerOwner: b.is_server_owner } : {}),
      });
      return reply.code(201).header("location", pathTo(apiOf(request), `users/${uuidOut(apiOf(request), u.userId)}`)).send();
    } catch (err) {
      if (err instanceof MailroomError && err.code === "conflict") throw badRequest(`User already exists: ${b.email}`);
      if (err instanceof MailroomError && err.code === "invalid-input") throw badRequest(`Invalid email address: ${b.email}`);
      throw err;
    }
  });

  app.get("/users/:user", async (request) => etagged(userOut(apiOf(request), await app.services.users.get((request.params as P).user).catch(() => { throw notFound(); }))));

  const update = (whole: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const u = await row((request.params as P).user);
    const b = validate(request.body, { display_name: str, cleartext_password: str, is_server_owner: bool }, whole ? { optional: ["is_server_owner"] } : { optional: "all" });
    await app.services.users.update(u.uid, {
      ...(b.display_name !== undefined ? { displayName: b.display_name } : {}), ...(b.cleartext_password !== undefined ? { password: b.cleartext_password } : {}),
      ...(b.is_server_owner !== undefined ? { isServerOwner: b.is_server_owner } : {}),
    });
    return reply.code(204).send();
  };
  app.patch("/users/:user", update(false));
  app.put("/users/:user", update(true));

  app.delete("/users/:user", async (request, reply) => {
    await app.services.users.remove((await row((request.params as P).user)).uid);
    return reply.code(204).send();
  });

  app.get("/users/:user/addresses", async (request) => {
    const api = apiOf(request);
    const u = await row((request.params as P).user);
    return collectionOf(request.query as Record<string, unknown>, (await app.services.users.addresses(u.uid)).map((a) => addressOut(api, a)));
  });

  app.post("/users/:user/addresses", async (request, reply) => {
    const u = await row((request.params as P).user);
    const b = validate(request.body, { email: str, display_name: str, absorb_existing: bool }, { optional: ["display_name", "absorb_existing"] });
    try {
      const a = await app.services.users.linkAddress(u.uid, b.email!, { ...(b.display_name ? { displayName: b.display_name } : {}), absorb: b.absorb_existing ?? false });
      return reply.code(201).header("location", pathTo(apiOf(request), `addresses/${a.email.toLowerCase()}`)).send();
    } catch (err) {
      if (err instanceof MailroomError && err.code === "conflict") throw badRequest("Address belongs to other user");
      if (err instanceof MailroomError && err.code === "invalid-input") throw badRequest("Invalid email address");
      throw err;
    }
  });

  app.get("/users/:user/preferred_address", async (request) => {
    const u = await row((request.params as P).user);
    if (!u.preferredAddress) throw notFound();
    return etagged(addressOut(apiOf(request), await app.services.addresses.get(u.preferredAddress.originalEmail)));
  });
  const setPreferred = async (request: FastifyRequest, reply: FastifyReply) => {
    const u = await row((request.params as P).user);
    const b = validate(request.body, { email: str });
    const a = await app.services.addresses.row(b.email!).catch(() => { throw badRequest(`Address does not exist: ${b.email}`); });
    if (a.userId && a.userId !== u.id) throw badRequest("Address already linked to another user");
    if (!a.verifiedOn) throw badRequest(`Unverified address: ${b.email}`);
    if (!a.userId) await app.services.users.linkAddress(u.uid, b.email!);
    await app.services.users.update(u.uid, { preferredAddress: b.email! });
    return reply.code(201).header("location", pathTo(apiOf(request), `addresses/${a.email}`)).send();
  };
  app.post("/users/:user/preferred_address", setPreferred);
  app.put("/users/:user/preferred_address", setPreferred);
  app.delete("/users/:user/preferred_address", async (request, reply) => {
    const u = await row((request.params as P).user);
    await app.services.users.update(u.uid, { preferredAddress: null });
    return reply.code(204).send();
  });

  app.post("/users/:user/login", async (request, reply) => {
    const u = await row((request.params as P).user);
    const b = validate(request.body, { cleartext_password: str });
    if (!(await app.services.users.login(u.uid, b.cleartext_password!))) throw forbidden();
    return reply.code(204).send();
  });

  registerPreferences<P>(app, "/users/:user/preferences", {
    load: async (p) => app.services.users.preferences((await row(p.user)).uid),
    save: async (p, patch) => app.services.users.setPreferences((await row(p.user)).uid, patch),
    self: (p) => `users/${p.user}/preferences`,
  });
}
