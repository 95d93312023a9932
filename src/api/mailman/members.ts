// members, members/{id}, members/find, members/{id}/preferences, and a list's
// roster/{role}, {role}/{email} and mass unsubscribe (Mailman rest/members.py,
// rest/lists.py). Subscriptions of role member go through mailroom's subscription
// workflow unless pre-verified, pre-confirmed and pre-approved, as in Mailman.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { MailroomError } from "../../domain/errors.js";
import type { Role } from "../../services/members.js";
import { parseUserId } from "../../services/users.js";
import { apiOf, badRequest, bool, collection, conflict, etagged, list, many, memberIdIn, nullable, notFound, oneOf, paging, pathTo, str, validate } from "./http.js";
import { params } from "./lists.js";
import { registerPreferences } from "./prefs.js";
import { memberOut } from "./represent.js";

const ROLES = ["member", "owner", "moderator", "nonmember"] as const;
const ROLE_PATHS: Record<string, Role> = { member: "member", owner: "owner", moderator: "moderator", nonmember: "nonmember" };
const ACTIONS = ["hold", "reject", "discard", "accept", "defer"] as const;

export default function members(app: FastifyInstance): void {

  async function memberOr404(raw: string) {
    const id = memberIdIn(raw);
    const m = id === null ? null : await app.services.memberships.byId(id);
    if (!m) throw notFound();
    return m;
  }

  async function page(request: FastifyRequest, q: Parameters<typeof app.services.memberships.find>[0], source: Record<string, unknown>, knownTotal?: number) {
    const api = apiOf(request);
    const { offset, limit } = paging(source);
    const found = await app.services.memberships.find(q, offset, limit, knownTotal);
    return collection(offset, found.total, found.items.map((m) => memberOut(api, m)));
  }

  app.get("/members", async (request) => page(request, {}, request.query as Record<string, unknown>));

  app.post("/members", async (request, reply) => {
    const api = apiOf(request);
    const b = validate(request.body, {
      list_id: str, subscriber: str, display_name: str, delivery_mode: oneOf(["regular", "plaintext_digests", "mime_digests", "summary_digests"] as const),
      delivery_status: oneOf(["enabled", "by_user", "by_bounces", "by_moderator"] as const), role: oneOf(ROLES),
      pre_verified: bool, pre_confirmed: bool, pre_approved: bool, invitation: bool, send_welcome_message: bool,
    }, { optional: ["display_name", "delivery_mode", "delivery_status", "role", "pre_verified", "pre_confirmed", "pre_approved", "invitation", "send_welcome_message"] });
    const list = await app.services.lists.get(b.list_id!).catch(() => { throw badRequest("No such list"); });
    const role = b.role ?? "member";
    // The subscriber: an address, or a user id (then its preferred address, subscribed as the user).
    let address = b.subscriber!;
    let userPk: number | undefined;
    if (parseUserId(address) && !address.includes("@")) {
      const u = await app.services.users.row(address).catch(() => { throw badRequest("No such user"); });
      if (!u.preferredAddress) throw badRequest("User without preferred address");
      address = u.preferredAddress.originalEmail;
      userPk = u.id;
    }
    const prefs = { ...(b.delivery_mode ? { deliveryMode: b.delivery_mode } : {}), ...(b.delivery_status ? { deliveryStatus: b.delivery_status } : {}) };
    try {
      if (role === "member" && !(b.pre_verified && b.pre_confirmed && b.pre_approved) && userPk === undefined) {
        const existing = await app.services.memberships.find({ listPk: (await app.services.lists.lookup(list.listId)).id, subscriber: address, role: "member" }, 0, 1);
        if (existing.total > 0) throw conflict("Member already subscribed");
        const outcome = await app.services.subscriptions.subscribe(list.listId, { address, ...(b.display_name ? { displayName: b.display_name } : {}), confirm: !(b.pre_confirmed || b.pre_verified) }, "rest");
        if (outcome.status === "already_member") throw conflict("Member already subscribed");
        if ("token" in outcome) {
          const owner = outcome.status === "awaiting_moderation" ? "moderator" : "subscriber";
          return reply.code(202).send(etagged({ token: outcome.token, token_owner: owner }));
        }
      } else if (role === "member" && userPk === undefined) {
        // Every pre_* flag: subscribed now, with Mailman's welcome (send_welcome_message) and owners' notice.
        const outcome = await app.services.subscriptions.addNow(list.listId, { address, ...(b.display_name ? { displayName: b.display_name } : {}) },
          b.send_welcome_message === undefined ? {} : { welcome: b.send_welcome_message });
        if (outcome.status === "already_member") throw conflict("Member already subscribed");
      } else {
        await app.services.members.add(list.listId, { address, role, ...(b.display_name ? { displayName: b.display_name } : {}), ...prefs }, userPk === undefined ? { verified: !!b.pre_verified || role !== "member" } : { userPk });
      }
    } catch (err) {
      if (err instanceof MailroomError && err.code === "conflict") throw conflict("Member already subscribed");
      if (err instanceof MailroomError && /banned/.test(err.message)) throw badRequest("Membership is banned");
      if (err instanceof MailroomError && err.code === "invalid-input") throw badRequest(`Invalid email address: ${address}`);
      throw err;
    }
    const made = await app.services.memberships.find({ listPk: (await app.services.lists.lookup(list.listId)).id, subscriber: address, role }, 0, 1);
    const m = made.items[0];
    if (!m) throw notFound();
    if (Object.keys(prefs).length) await app.services.memberships.setPreferences(m.id, prefs);
    return reply.code(201).header("location", pathTo(api, `members/${memberOut(api, m).member_id}`)).send();
  });

  const find = async (request: FastifyRequest) => {
    const q = validate(params(request), { list_id: str, subscriber: str, role: oneOf(ROLES), count: str, page: str }, { optional: "all" });
    let listPk: number | undefined;
    if (q.list_id) {
      const l = await app.services.lists.lookup(q.list_id).catch(() => null);
      if (!l) return collection(0, 0, []);
      listPk = l.id;
    }
    return page(request, { ...(listPk !== undefined ? { listPk } : {}), ...(q.subscriber ? { subscriber: q.subscriber } : {}), ...(q.role ? { role: q.role } : {}) }, params(request));
  };
  app.get("/members/find", find);
  app.post("/members/find", find);

  app.get("/members/:id", async (request) => etagged(memberOut(apiOf(request), await memberOr404((request.params as { id: string }).id))));

  app.patch("/members/:id", async (request, reply) => {
    const m = await memberOr404((request.params as { id: string }).id);
    const b = validate(request.body, { address: str, delivery_mode: oneOf(["regular", "plaintext_digests", "mime_digests", "summary_digests"] as const), moderation_action: nullable(oneOf(ACTIONS)) }, { optional: "all" });
    if (b.address !== undefined && b.address.toLowerCase() !== m.email) throw badRequest("Changing a membership's address is not supported; subscribe the new address");
    if (b.delivery_mode) await app.services.memberships.setPreferences(m.id, { deliveryMode: b.delivery_mode });
    if (b.moderation_action !== undefined) await app.services.memberships.setModerationAction(m.id, b.moderation_action);
    return reply.code(204).send();
  });

  app.delete("/members/:id", async (request, reply) => {
    const m = await memberOr404((request.params as { id: string }).id);
    await app.services.subscriptions.removeNow(m.id);
    return reply.code(204).send();
  });

  registerPreferences<{ id: string }>(app, "/members/:id/preferences", {
    load: async (p) => {
      const row = await app.services.memberships.ownPreferences((await memberOr404(p.id)).id);
      return Object.fromEntries(Object.entries(row ?? {}).filter(([, v]) => v !== null)) as never;
    },
    save: async (p, patch) => app.services.memberships.setPreferences((await memberOr404(p.id)).id, patch),
    self: (p) => `members/${p.id}/preferences`,
  });
  registerPreferences<{ id: string }>(app, "/members/:id/all/preferences", {
    load: async (p) => memberOr404(p.id),
    save: async () => undefined,
    self: (p) => `members/${p.id}/all/preferences`,
  }, true);

  // A list's rosters.
  app.get("/lists/:list/roster/:role", async (request) => {
    const { list: ref, role } = request.params as { list: string; role: string };
    if (!ROLE_PATHS[role]) throw notFound();
    const l = await app.services.lists.lookup(ref);
    // The member roster's size is the list's member_count (trigger-kept): no count(*) over 100,000 rows per page.
    const total = role === "member" ? (await app.services.lists.get(l.listId)).memberCount : undefined;
    return page(request, { listPk: l.id, role: ROLE_PATHS[role] }, request.query as Record<string, unknown>, total);
  });

  // Mass unsubscribe (Mailman 3.3: DELETE lists/{l}/roster/member with emails=…): {email: removed?}.
  app.delete("/lists/:list/roster/member", async (request) => {
    const b = validate(request.body, { emails: many(list(str)) });
    const l = await app.services.lists.lookup((request.params as { list: string }).list);
    const out: Record<string, boolean> = {};
    for (const email of b.emails ?? []) {
      const found = await app.services.memberships.find({ listPk: l.id, subscriber: email, role: "member" }, 0, 1);
      const m = found.items[0];
      if (m) await app.services.subscriptions.removeNow(m.id);
      out[email] = !!m;
    }
    return out;
  });

  // lists/{l}/{role}/{email}: one membership by address.
  const byEmail = async (request: FastifyRequest) => {
    const { list: ref, role, email } = request.params as { list: string; role: string; email: string };
    if (!ROLE_PATHS[role]) throw notFound();
    const l = await app.services.lists.lookup(ref);
    const found = await app.services.memberships.find({ listPk: l.id, subscriber: email, role: ROLE_PATHS[role] }, 0, 1);
    const m = found.items[0];
    if (!m || email.includes("*")) throw notFound();
    return m;
  };
  app.get("/lists/:list/:role/:email", async (request) => etagged(memberOut(apiOf(request), await byEmail(request))));
  app.delete("/lists/:list/:role/:email", async (request, reply) => {
    const m = await byEmail(request);
    await app.services.subscriptions.removeNow(m.id);
    return reply.code(204).send();
  });
}
