// lists/{l}/held (+count, {id}) and lists/{l}/requests (+count, {token})
// (Mailman rest/post_moderation.py and rest/sub_moderation.py), on mailroom's
// moderation and subscription services.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { HeldSummary } from "../../services/moderation.js";
import type { RequestView } from "../../services/subscriptions.js";
import { apiOf, badRequest, collection, etagged, notFound, oneOf, paging, pathTo, str, validate, when, type Api } from "./http.js";

type P = { list: string; id?: string; token?: string };
const ACTIONS = ["accept", "reject", "discard", "defer", "hold"] as const;

async function allPages<T>(fetch: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await fetch(cursor);
    out.push(...p.items);
    cursor = p.nextCursor;
  } while (cursor);
  return out;
}

function heldOut(api: Api, h: HeldSummary, msg?: string) {
  return {
    hold_date: h.heldAt.replace("Z", ""), message_id: h.messageId, reason: h.reason, sender: h.sender, subject: h.subject,
    request_id: h.id, type: "held_message", ...(msg !== undefined ? { msg } : {}),
    moderation_reasons: [h.reason],
    self_link: pathTo(api, `lists/${h.listId}/held/${h.id}`),
  };
}

function requestOut(r: RequestView) {
  return {
    token: r.token, type: r.kind, list_id: r.listId, email: r.address, display_name: r.displayName,
    when: r.createdAt.replace("Z", ""), token_owner: r.state === "awaiting_moderation" ? "moderator" : "subscriber",
  };
}

export default function moderation(app: FastifyInstance): void {
  const heldAll = (ref: string) => allPages((cursor) => app.services.moderation.list(ref, { limit: 1000, ...(cursor ? { cursor } : {}) }));

  app.get("/lists/:list/held", async (request) => {
    const api = apiOf(request);
    const { offset, limit } = paging(request.query as Record<string, unknown>);
    const all = await heldAll((request.params as P).list);
    const slice = limit === null ? all : all.slice(offset, offset + limit);
    return collection(offset, all.length, slice.map((h) => heldOut(api, h)));
  });
  app.get("/lists/:list/held/count", async (request) => etagged({ count: (await heldAll((request.params as P).list)).length }));

  const heldId = (raw: string | undefined) => {
    const id = Number(raw);
    if (!Number.isInteger(id) || id <= 0 || id > 2_147_483_647) throw notFound();
    return id;
  };
  app.get("/lists/:list/held/:id", async (request) => {
    const { list, id } = request.params as P;
    const h = await app.services.moderation.get(list, heldId(id)).catch(() => { throw notFound(); });
    const raw = await app.services.moderation.raw(list, heldId(id));
    return etagged(heldOut(apiOf(request), h, raw.toString("utf8")));
  });
  app.post("/lists/:list/held/:id", async (request, reply) => {
    const { list, id } = request.params as P;
    const b = validate(request.body, { action: oneOf(ACTIONS), comment: str, reason: str }, { optional: ["comment", "reason"] });
    await app.services.moderation.get(list, heldId(id)).catch(() => { throw notFound(); });
    const action = b.action === "hold" ? "defer" : b.action!;
    await app.services.moderation.act(list, heldId(id), action, b.reason ?? b.comment);
    return reply.code(204).send();
  });

  const requests = async (request: FastifyRequest) => {
    const { list } = request.params as P;
    const q = validate(request.query, {
      token_owner: oneOf(["no_one", "subscriber", "moderator"] as const), request_type: oneOf(["subscription", "unsubscription"] as const),
      count: str, page: str,
    }, { optional: "all" });
    const all = (await allPages((cursor) => app.services.subscriptions.pending(list, { limit: 1000, ...(cursor ? { cursor } : {}) }))).map(requestOut);
    return all.filter((r) => (!q.token_owner || r.token_owner === q.token_owner) && (!q.request_type || r.type === q.request_type));
  };
  app.get("/lists/:list/requests", async (request) => {
    const all = await requests(request);
    const { offset, limit } = paging(request.query as Record<string, unknown>);
    return collection(offset, all.length, limit === null ? all : all.slice(offset, offset + limit));
  });
  app.get("/lists/:list/requests/count", async (request) => etagged({ count: (await requests(request)).length }));
  app.get("/lists/:list/requests/:token", async (request) => {
    const { list, token } = request.params as P;
    const r = await app.services.subscriptions.get(list, token!).catch(() => { throw notFound(); });
    return etagged(requestOut(r));
  });
  app.post("/lists/:list/requests/:token", async (request, reply) => {
    const { list, token } = request.params as P;
    const b = validate(request.body, { action: oneOf(ACTIONS), reason: str }, { optional: ["reason"] });
    await app.services.subscriptions.get(list, token!).catch(() => { throw notFound(); });
    const action = b.action === "hold" ? "defer" : b.action!;
    try {
      await app.services.subscriptions.moderate(list, token!, action, b.reason);
    } catch (err) {
      if ((err as { status?: number }).status === 404) throw notFound();
      throw badRequest((err as Error).message);
    }
    return reply.code(204).send();
  });
  void when;
}
