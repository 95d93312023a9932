// lists, lists/{l}, lists/find, lists/styles, lists/{l}/archivers
// (Mailman rest/lists.py). GET lists/{l} is the hot read of Postorius and HyperKitty:
// the list comes from the list service's cache and one count query.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { MailroomError } from "../../domain/errors.js";
import { apiOf, badRequest, bool, collection, etagged, int, notFound, oneOf, paging, pathTo, str, validate } from "./http.js";
import { listOut } from "./represent.js";

type P = { list: string };
export const params = (r: FastifyRequest) => ({ ...(r.query as Record<string, unknown>), ...((r.body as Record<string, unknown>) ?? {}) });
export const withoutPaging = ({ count: _c, page: _p, ...rest }: Record<string, unknown>) => rest;

/** Mailman's list styles; mailroom has one set of defaults (the legacy-default style's). */
const STYLES = [
  { name: "legacy-default", description: "Ordinary discussion mailing list style." },
  { name: "legacy-announce", description: "Announce only mailing list style." },
  { name: "private-default", description: "Discussion mailing list style with private archives." },
];

export async function listsPage(app: FastifyInstance, request: FastifyRequest, domain?: string, advertised?: boolean) {
  const api = apiOf(request);
  const { offset, limit } = paging(request.query as Record<string, unknown>);
  const page = await app.services.lists.offsetPage({ ...(domain ? { domain } : {}), ...(advertised ? { advertised } : {}) }, offset, limit);
  return collection(offset, page.total, page.items.map((l) => listOut(api, l)));
}

export default function lists(app: FastifyInstance): void {

  app.get("/lists", async (request) => {
    const q = validate(withoutPaging(request.query as Record<string, unknown>), { advertised: bool }, { optional: "all" });
    return listsPage(app, request, undefined, q.advertised);
  });

  app.post("/lists", async (request, reply) => {
    const body = validate(request.body, { fqdn_listname: str, style_name: oneOf(STYLES.map((x) => x.name)) }, { optional: ["style_name"] });
    const fqdn = body.fqdn_listname!;
    const settings = body.style_name === "legacy-announce"
      ? { defaultMemberAction: "hold" as const, defaultNonmemberAction: "hold" as const, replyGoesToList: "no_munging" as const }
      : body.style_name === "private-default" ? { archivePolicy: "private" as const } : {};
    try {
      const l = await app.services.lists.create({ address: fqdn, ...settings });
      return reply.code(201).header("location", pathTo(apiOf(request), `lists/${l.listId}`)).send();
    } catch (err) {
      if (!(err instanceof MailroomError)) throw err;
      if (err.code === "conflict") throw badRequest("Mailing list exists");
      if (/domain .* does not exist/.test(err.message)) throw badRequest(`Domain does not exist: ${fqdn.split("@")[1] ?? fqdn}`);
      if (/list name/.test(err.message)) throw badRequest(`Invalid list name: ${fqdn.split("@")[0]}`);
      throw badRequest(`Invalid list posting address: ${fqdn}`);
    }
  });

  app.get("/lists/styles", async () => etagged({ styles: STYLES, default: "legacy-default" }));

  const find = async (request: FastifyRequest) => {
    const api = apiOf(request);
    const q = validate(params(request), { subscriber: str, role: oneOf(["member", "owner", "moderator", "nonmember"] as const), count: int, page: int }, { optional: ["role", "count", "page"] });
    const found = await app.services.memberships.find({ subscriber: q.subscriber!, ...(q.role ? { role: q.role } : {}) }, 0, null);
    const ids = [...new Set(found.items.map((m) => m.listId))];
    if (ids.length === 0) throw notFound();
    const { offset, limit } = paging(params(request));
    const views = await Promise.all(ids.map((id) => app.services.lists.get(id)));
    const all = views.map((l) => listOut(api, l));
    return collection(offset, all.length, limit === null ? all : all.slice(offset, offset + limit));
  };
  app.get("/lists/find", find);
  app.post("/lists/find", find);

  app.get("/lists/:list", async (request) => {
    // From the list cache: member_count is a column the roster triggers keep (and NOTIFY).
    return etagged(listOut(apiOf(request), await app.services.lists.get((request.params as P).list)));
  });

  app.delete("/lists/:list", async (request, reply) => {
    const l = await app.services.lists.get((request.params as P).list);
    await app.services.lists.remove(l.listId);
    return reply.code(204).send();
  });

  // Archivers (Mailman's ListArchivers): the site's offered archivers only (one
  // without its settings is not offered, as Mailman lists only enabled ones); the
  // switches are acted on (src/archivers/, docs/archiving.md).
  app.get("/lists/:list/archivers", async (request) => etagged(await app.services.archive.switches((request.params as P).list)));
  const setArchivers = (all: boolean) => async (request: FastifyRequest, reply: import("fastify").FastifyReply) => {
    const spec = Object.fromEntries(app.services.archive.offered.map((n) => [n, bool]));
    const body = validate(request.body, spec, all ? {} : { optional: "all" }) as Record<string, boolean>;
    await app.services.archive.setSwitches((request.params as P).list, body, { all });
    return reply.code(204).send();
  };
  app.patch("/lists/:list/archivers", setArchivers(false));
  app.put("/lists/:list/archivers", setArchivers(true));
}
