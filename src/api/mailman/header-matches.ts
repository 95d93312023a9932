// lists/{l}/header-matches and lists/{l}/header-matches/{position} (Mailman
// rest/header_matches.py), on the list's headerMatches setting, which the
// header-match rule acts on.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { HeaderMatch } from "../../services/list-settings.js";
import { apiOf, badRequest, collectionOf, etagged, int, notFound, oneOf, pathTo, str, validate } from "./http.js";

type P = { list: string; position?: string };
const ACTIONS = ["hold", "reject", "discard", "accept", "defer"] as const;

export default function headerMatches(app: FastifyInstance): void {
  const matchesOf = async (ref: string) => (await app.services.lists.get(ref)).headerMatches;
  const out = (request: FastifyRequest, listId: string, m: HeaderMatch, position: number) => ({
    header: m.header, pattern: m.pattern, position, action: m.action,
    self_link: pathTo(apiOf(request), `lists/${listId}/header-matches/${position}`),
  });
  const at = (raw: string | undefined, length: number) => {
    const i = Number(raw);
    if (!Number.isInteger(i) || i < 0 || i >= length) throw notFound();
    return i;
  };
  const save = (ref: string, matches: HeaderMatch[]) => app.services.lists.update(ref, { headerMatches: matches });

  app.get("/lists/:list/header-matches", async (request) => {
    const l = await app.services.lists.get((request.params as P).list);
    return collectionOf(request.query as Record<string, unknown>, l.headerMatches.map((m, i) => out(request, l.listId, m, i)));
  });
  app.post("/lists/:list/header-matches", async (request, reply) => {
    const l = await app.services.lists.get((request.params as P).list);
    const b = validate(request.body, { header: str, pattern: str, action: oneOf(ACTIONS), tag: str }, { optional: ["action", "tag"] });
    const header = b.header!.toLowerCase();
    if (l.headerMatches.some((m) => m.header === header && m.pattern === b.pattern)) throw badRequest("This header match already exists");
    // Without an action Mailman sends a match to the site's default chain, which holds.
    await save(l.listId, [...l.headerMatches, { header, pattern: b.pattern!, action: b.action ?? "hold" }]);
    return reply.code(201).header("location", pathTo(apiOf(request), `lists/${l.listId}/header-matches/${l.headerMatches.length}`)).send();
  });
  app.delete("/lists/:list/header-matches", async (request, reply) => {
    await save((request.params as P).list, []);
    return reply.code(204).send();
  });

  app.get("/lists/:list/header-matches/:position", async (request) => {
    const { list: ref, position } = request.params as P;
    const l = await app.services.lists.get(ref);
    const i = at(position, l.headerMatches.length);
    return etagged(out(request, l.listId, l.headerMatches[i]!, i));
  });
  const change = (whole: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { list: ref, position } = request.params as P;
    const matches = [...(await matchesOf(ref))];
    const i = at(position, matches.length);
    const b = validate(request.body, { header: str, pattern: str, action: oneOf(ACTIONS), tag: str, position: int },
      whole ? { optional: ["action", "tag", "position"] } : { optional: "all" });
    const m = { ...matches[i]!, ...(b.header ? { header: b.header.toLowerCase() } : {}), ...(b.pattern ? { pattern: b.pattern } : {}), ...(b.action ? { action: b.action } : {}) };
    matches.splice(i, 1);
    const to = b.position ?? i;
    if (to < 0 || to > matches.length) throw badRequest(`Invalid Parameter "position": out of range`);
    matches.splice(to, 0, m);
    await save(ref, matches);
    return reply.code(204).send();
  };
  app.patch("/lists/:list/header-matches/:position", change(false));
  app.put("/lists/:list/header-matches/:position", change(true));
  app.delete("/lists/:list/header-matches/:position", async (request, reply) => {
    const { list: ref, position } = request.params as P;
    const matches = [...(await matchesOf(ref))];
    matches.splice(at(position, matches.length), 1);
    await save(ref, matches);
    return reply.code(204).send();
  });
}
