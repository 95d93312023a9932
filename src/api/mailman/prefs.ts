// A preferences resource (Mailman rest/preferences.py) at some path: GET its own
// settings; PATCH some; PUT all (what is left out is unset); DELETE unsets all.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { PREFERENCE_NAMES, type PreferenceLevel, type Preferences } from "../../domain/preferences.js";
import { apiOf, bool, etagged, oneOf, str, validate } from "./http.js";
import { PREFERENCE_FIELDS, preferencesOut } from "./represent.js";

const SPEC = {
  acknowledge_posts: bool, delivery_mode: oneOf(["regular", "plaintext_digests", "mime_digests", "summary_digests"] as const),
  delivery_status: oneOf(["enabled", "by_user", "by_bounces", "by_moderator"] as const), hide_address: bool,
  preferred_language: (v: unknown) => {
    const s = str(v);
    if (!/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/.test(s)) throw new TypeError(`Not a language code: ${s}`);
    return s;
  },
  receive_list_copy: bool, receive_own_postings: bool,
};

export function toPatch(fields: Record<string, unknown>): Partial<PreferenceLevel> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[PREFERENCE_FIELDS[k]!] = v;
  return out as Partial<PreferenceLevel>;
}

export interface PrefsHandlers<P> {
  load(params: P): Promise<Partial<Preferences>>;
  save(params: P, patch: Partial<PreferenceLevel>): Promise<unknown>;
  /** The path self_link names, from the request. */
  self(params: P): string;
}

export function registerPreferences<P>(app: FastifyInstance, path: string, h: PrefsHandlers<P>, readOnly = false): void {
  const params = (r: FastifyRequest) => r.params as P;
  app.get(path, async (request) => etagged(preferencesOut(apiOf(request), h.self(params(request)), await h.load(params(request)))));
  if (readOnly) return;
  const write = (whole: boolean) => async (request: FastifyRequest, reply: import("fastify").FastifyReply) => {
    const body = { ...(request.body as Record<string, unknown> ?? {}) };
    delete body.self_link; // mailmanclient sends back what it read
    delete body.http_etag;
    const fields = validate(body, SPEC, { optional: "all" });
    const patch = toPatch(fields);
    if (whole) for (const n of PREFERENCE_NAMES) if (!(n in patch)) patch[n] = null;
    // An empty PATCH changes nothing and is a 204 in Mailman: mailmanclient sends one
    // when nothing changed (Postorius's Mailman settings page saves on every visit).
    if (Object.keys(patch).length === 0) {
      await h.load(params(request)); // still a 404 for a missing owner
      return reply.code(204).send();
    }
    await h.save(params(request), patch);
    return reply.code(204).send();
  };
  app.patch(path, write(false));
  app.put(path, write(true));
  app.delete(path, async (request, reply) => {
    await h.save(params(request), Object.fromEntries(PREFERENCE_NAMES.map((n) => [n, null])));
    return reply.code(204).send();
  });
}
