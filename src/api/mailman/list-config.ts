// lists/{l}/config and lists/{l}/config/{attribute} (Mailman rest/listconf.py): every
// attribute by Mailman's name, GET, PATCH (some), PUT (all writable ones, or one).
// Attributes mailroom acts on map to its list settings; the others are stored in
// the list's mailmanSettings and returned as set (docs/mailman-api.md lists them).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ListSettingsInput, ListView } from "../../services/list-settings.js";
import { badRequest, bool, etagged, int, list, many, notFound, oneOf, str, when, type Converter } from "./http.js";

type Ctx = { view: ListView; extra: Record<string, unknown>; postId: number };
interface Attr {
  get(c: Ctx): unknown;
  /** Absent: read-only. */
  convert?: Converter<unknown>;
  /** The native settings for a converted value; absent: stored in mailmanSettings. */
  native?(v: unknown): ListSettingsInput;
}

const ge0: Converter<number> = (v) => {
  const n = int(v);
  if (n < 0) throw new TypeError("must be 0 or more");
  return n;
};
const language: Converter<string> = (v) => {
  const s = str(v);
  if (!/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/.test(s)) throw new TypeError(`not a language code: ${s}`);
  return s;
};
const noNewlines: Converter<string> = (v) => {
  const s = str(v);
  if (/[\r\n]/.test(s)) throw new TypeError("must not contain newlines");
  return s;
};
/** Mailman's as_timedelta ("7d", "1w", "3h", "90d12s") ↔ seconds; rendered as "7d" or "7d30.0s". */
const UNITS: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
const timedelta: Converter<number> = (v) => {
  const s = str(v).trim();
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)\s*([wdhms])/g)];
  if (!parts.length || parts.map((p) => p[0]).join("").replace(/\s/g, "") !== s.replace(/\s/g, "")) throw new TypeError(`not a duration: ${s}`);
  return Math.round(parts.reduce((t, p) => t + Number(p[1]) * UNITS[p[2]!]!, 0));
};
const renderDelta = (seconds: number) => {
  const days = Math.floor(seconds / 86400), rest = seconds % 86400;
  return rest ? `${days}d${rest.toFixed(1)}s` : `${days}d`;
};

const nativeAttr = (key: keyof ListSettingsInput, convert: Converter<unknown>): Attr =>
  ({ get: (c) => (c.view as unknown as Record<string, unknown>)[key], convert, native: (v) => ({ [key]: v }) });
const stored = (fallback: unknown, convert: Converter<unknown>): Attr => ({ get: () => fallback, convert }); // get is replaced below
const readOnly = (get: (c: Ctx) => unknown): Attr => ({ get });

const addr = (c: Ctx, sub = "") => `${c.view.name}${sub}@${c.view.domain}`;
const ACTIONS = ["hold", "reject", "discard", "accept", "defer"] as const;
const strings = many(list(str));

export const ATTRIBUTES: Record<string, Attr> = {
  // Acted on by mailroom.
  acceptable_aliases: nativeAttr("acceptableAliases", strings),
  admin_immed_notify: nativeAttr("adminImmedNotify", bool),
  admin_notify_mchanges: nativeAttr("adminNotifyMchanges", bool),
  administrivia: nativeAttr("administrivia", bool),
  advertised: nativeAttr("advertised", bool),
  allow_list_posts: nativeAttr("allowListPosts", bool),
  anonymous_list: nativeAttr("anonymousList", bool),
  archive_policy: nativeAttr("archivePolicy", oneOf(["never", "private", "public"] as const)),
  bounce_info_stale_after: { get: (c) => renderDelta(c.view.bounceInfoStaleAfter), convert: timedelta, native: (v) => ({ bounceInfoStaleAfter: v as number }) },
  bounce_notify_owner_on_disable: nativeAttr("bounceNotifyOwnerOnDisable", bool),
  bounce_notify_owner_on_removal: nativeAttr("bounceNotifyOwnerOnRemoval", bool),
  bounce_score_threshold: nativeAttr("bounceScoreThreshold", ge0),
  bounce_you_are_disabled_warnings: nativeAttr("bounceYouAreDisabledWarnings", ge0),
  bounce_you_are_disabled_warnings_interval: {
    get: (c) => renderDelta(c.view.bounceYouAreDisabledWarningsInterval), convert: timedelta, native: (v) => ({ bounceYouAreDisabledWarningsInterval: v as number }),
  },
  collapse_alternatives: nativeAttr("collapseAlternatives", bool),
  convert_html_to_plaintext: nativeAttr("convertHtmlToPlaintext", bool),
  default_member_action: nativeAttr("defaultMemberAction", oneOf(ACTIONS)),
  default_nonmember_action: nativeAttr("defaultNonmemberAction", oneOf(ACTIONS)),
  description: nativeAttr("description", noNewlines),
  display_name: nativeAttr("displayName", str),
  dmarc_mitigate_action: nativeAttr("dmarcMitigateAction", oneOf(["no_mitigation", "munge_from", "wrap_message", "reject", "discard"] as const)),
  dmarc_mitigate_unconditionally: nativeAttr("dmarcMitigateUnconditionally", bool),
  dmarc_moderation_notice: nativeAttr("dmarcModerationNotice", str),
  emergency: nativeAttr("emergency", bool),
  filter_action: nativeAttr("filterAction", oneOf(["hold", "reject", "discard", "accept", "defer", "forward", "preserve"] as const)),
  filter_content: nativeAttr("filterContent", bool),
  filter_extensions: nativeAttr("filterExtensions", strings),
  filter_types: nativeAttr("filterTypes", strings),
  first_strip_reply_to: nativeAttr("firstStripReplyTo", bool),
  forward_unrecognized_bounces_to: {
    get: (c) => (c.view.forwardUnrecognizedBouncesTo === "no_one" ? "discard" : c.view.forwardUnrecognizedBouncesTo),
    convert: oneOf(["discard", "administrators", "site_owner"] as const),
    native: (v) => ({ forwardUnrecognizedBouncesTo: v === "discard" ? "no_one" : (v as "administrators" | "site_owner") }),
  },
  include_rfc2369_headers: nativeAttr("includeRfc2369Headers", bool),
  max_message_size: nativeAttr("maxMessageSize", ge0),
  max_num_recipients: nativeAttr("maxNumRecipients", ge0),
  member_roster_visibility: nativeAttr("memberRosterVisibility", oneOf(["public", "members", "moderators"] as const)),
  moderator_password: {
    get: (c) => (c.view.hasModeratorPassword ? "{scrypt}" : null),
    convert: (v) => (v === null ? null : str(v)), native: (v) => ({ moderatorPassword: v === "" ? null : (v as string | null) }),
  },
  newsgroup_moderation: nativeAttr("newsgroupModeration", oneOf(["none", "open_moderated", "moderated"] as const)),
  pass_extensions: nativeAttr("passExtensions", strings),
  pass_types: nativeAttr("passTypes", strings),
  personalize: nativeAttr("personalize", oneOf(["none", "individual", "full"] as const)),
  process_bounces: nativeAttr("processBounces", bool),
  reply_goes_to_list: nativeAttr("replyGoesToList", oneOf(["no_munging", "point_to_list", "explicit_header", "explicit_header_only"] as const)),
  reply_to_address: { get: (c) => c.view.replyToAddress ?? "", convert: str, native: (v) => ({ replyToAddress: (v as string) || null }) },
  require_explicit_destination: nativeAttr("requireExplicitDestination", bool),
  send_goodbye_message: nativeAttr("sendGoodbyeMessage", bool),
  send_welcome_message: nativeAttr("sendWelcomeMessage", bool),
  subject_prefix: nativeAttr("subjectPrefix", str),
  subscription_policy: nativeAttr("subscriptionPolicy", oneOf(["open", "confirm", "moderate", "confirm_then_moderate"] as const)),
  // mailroom unsubscribes with confirmation or without; Mailman's moderated kinds are kept as given and act as confirm.
  unsubscription_policy: {
    get: (c) => c.extra.unsubscription_policy ?? c.view.unsubscriptionPolicy,
    convert: oneOf(["open", "confirm", "moderate", "confirm_then_moderate"] as const),
    native: (v) => ({ unsubscriptionPolicy: v === "open" ? "open" : "confirm" }),
  },

  // Stored and returned; not acted on (docs/mailman-api.md).
  accept_these_nonmembers: stored([], strings),
  archive_rendering_mode: stored("text", oneOf(["text", "markdown"] as const)),
  autorespond_owner: stored("none", oneOf(["none", "respond_and_discard", "respond_and_continue"] as const)),
  autorespond_postings: stored("none", oneOf(["none", "respond_and_discard", "respond_and_continue"] as const)),
  autorespond_requests: stored("none", oneOf(["none", "respond_and_discard", "respond_and_continue"] as const)),
  autoresponse_grace_period: stored("90d", (v) => renderDelta(timedelta(v))),
  autoresponse_owner_text: stored("", str),
  autoresponse_postings_text: stored("", str),
  autoresponse_request_text: stored("", str),
  bounce_notify_owner_on_bounce_increment: stored(false, bool),
  digest_send_periodic: stored(true, bool),
  digest_size_threshold: stored(30.0, (v) => {
    const n = typeof v === "number" ? v : Number(str(v));
    if (!Number.isFinite(n)) throw new TypeError("not a number");
    return n;
  }),
  digest_volume_frequency: stored("monthly", oneOf(["yearly", "monthly", "quarterly", "weekly", "daily"] as const)),
  digests_enabled: stored(true, bool),
  discard_these_nonmembers: stored([], strings),
  dmarc_wrapped_message_text: stored("", str),
  gateway_to_mail: stored(false, bool),
  gateway_to_news: stored(false, bool),
  hold_these_nonmembers: stored([], strings),
  info: stored("", str),
  linked_newsgroup: stored("", str),
  max_days_to_hold: stored(0, ge0),
  nntp_prefix_subject_too: stored(true, bool),
  posting_pipeline: stored("default-posting-pipeline", oneOf(["default-posting-pipeline"] as const)),
  preferred_language: nativeAttr("preferredLanguage", language),
  reject_these_nonmembers: stored([], strings),
  respond_to_post_requests: stored(true, bool),

  // Read-only.
  bounces_address: readOnly((c) => addr(c, "-bounces")),
  created_at: readOnly((c) => c.view.createdAt.replace("Z", "")),
  digest_last_sent_at: readOnly(() => null),
  fqdn_listname: readOnly((c) => addr(c)),
  join_address: readOnly((c) => addr(c, "-join")),
  last_post_at: readOnly(() => null),
  leave_address: readOnly((c) => addr(c, "-leave")),
  list_name: readOnly((c) => c.view.name),
  mail_host: readOnly((c) => c.view.domain),
  next_digest_number: readOnly(() => 1),
  no_reply_address: readOnly((c) => `noreply@${c.view.domain}`),
  owner_address: readOnly((c) => addr(c, "-owner")),
  post_id: readOnly((c) => c.postId),
  posting_address: readOnly((c) => addr(c)),
  request_address: readOnly((c) => addr(c, "-request")),
  usenet_watermark: readOnly(() => null),
  volume: readOnly(() => 1),
};
for (const [name, a] of Object.entries(ATTRIBUTES)) {
  if (a.convert && !a.native) {
    const fallback = a.get({} as Ctx);
    a.get = (c) => (Object.hasOwn(c.extra, name) ? c.extra[name] : fallback);
  }
}

/** Names of the attributes stored but not acted on (for docs and tests). */
export const STORED_ONLY = Object.entries(ATTRIBUTES).filter(([, a]) => a.convert && !a.native).map(([n]) => n);

type P = { list: string; attribute?: string };

export default function listConfig(app: FastifyInstance): void {

  async function ctx(ref: string): Promise<Ctx> {
    const view = await app.services.lists.get(ref);
    const extra = await app.services.lists.mailmanSettings(view.listId);
    return { view, extra, postId: view.postId };
  }

  /** Converts the given attributes and saves them: native ones through the list service, the rest stored. */
  async function save(ref: string, input: Record<string, unknown>): Promise<void> {
    const nativePatch: ListSettingsInput = {};
    const extra: Record<string, unknown> = {};
    for (const [name, raw] of Object.entries(input)) {
      const a = ATTRIBUTES[name]!;
      let value: unknown;
      try {
        value = a.convert!(Array.isArray(raw) && !["acceptable_aliases", "accept_these_nonmembers", "discard_these_nonmembers", "hold_these_nonmembers",
          "reject_these_nonmembers", "filter_extensions", "filter_types", "pass_extensions", "pass_types"].includes(name) ? raw.at(-1) : raw);
      } catch (err) {
        throw badRequest(`Invalid Parameter "${name}": ${(err as Error).message}.`);
      }
      if (a.native) Object.assign(nativePatch, a.native(value));
      else extra[name] = value;
      if (name === "unsubscription_policy") extra[name] = value;
    }
    if (Object.keys(nativePatch).length) await app.services.lists.update(ref, nativePatch);
    if (Object.keys(extra).length) await app.services.lists.setMailmanSettings(ref, extra);
  }

  const body = (r: FastifyRequest) => {
    const b = { ...((r.body as Record<string, unknown>) ?? {}) };
    delete b.http_etag; // mailmanclient never sends these back, but other clients do
    delete b.self_link;
    return b;
  };

  app.get("/lists/:list/config", async (request) => {
    const c = await ctx((request.params as P).list);
    const out: Record<string, unknown> = {};
    for (const [name, a] of Object.entries(ATTRIBUTES)) out[name] = a.get(c);
    out.list_id = c.view.listId;
    return etagged(out);
  });

  app.get("/lists/:list/config/:attribute", async (request) => {
    const { list: ref, attribute } = request.params as P;
    const c = await ctx(ref);
    if (attribute === "list_id") return etagged({ list_id: c.view.listId });
    const a = ATTRIBUTES[attribute!];
    if (!a) throw notFound(`Unknown attribute: ${attribute}`);
    return etagged({ [attribute!]: a.get(c) });
  });

  app.patch("/lists/:list/config", async (request, reply) => {
    const ref = (request.params as P).list;
    await app.services.lists.get(ref);
    const input = body(request);
    for (const name of Object.keys(input)) {
      if (!ATTRIBUTES[name] && name !== "list_id") throw badRequest(`Unknown attribute: ${name}`);
      if (!ATTRIBUTES[name]?.convert) throw badRequest(`Read-only attribute: ${name}`);
    }
    await save(ref, input);
    return reply.code(204).send();
  });

  app.put("/lists/:list/config", async (request, reply) => {
    const ref = (request.params as P).list;
    await app.services.lists.get(ref);
    const input = body(request);
    for (const name of Object.keys(input)) {
      if (!ATTRIBUTES[name] && name !== "list_id") throw badRequest(`Unexpected parameters: ${name}`);
      if (!ATTRIBUTES[name]?.convert) throw badRequest(`Read-only attribute: ${name}`);
    }
    const missing = Object.entries(ATTRIBUTES).filter(([n, a]) => a.convert && !Object.hasOwn(input, n) && n !== "moderator_password").map(([n]) => n);
    if (missing.length) throw badRequest(`Missing parameters: ${missing.sort().join(", ")}`);
    await save(ref, input);
    return reply.code(204).send();
  });

  const one = async (request: FastifyRequest, reply: FastifyReply) => {
    const { list: ref, attribute } = request.params as P;
    await app.services.lists.get(ref);
    const a = ATTRIBUTES[attribute!];
    if (!a) throw notFound(`Unknown attribute: ${attribute}`);
    if (!a.convert) throw badRequest(`Read-only attribute: ${attribute}`);
    const input = body(request);
    const keys = Object.keys(input);
    if (keys.length !== 1) throw badRequest(`Expected 1 attribute, got ${keys.length}`);
    if (keys[0] !== attribute) throw badRequest(`Unexpected parameters: ${keys[0]}`);
    await save(ref, input);
    return reply.code(204).send();
  };
  app.patch("/lists/:list/config/:attribute", one);
  app.put("/lists/:list/config/:attribute", one);
  void when;
}
