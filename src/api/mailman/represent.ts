// Mailman 3.3's resource representations (rest/domains.py, lists.py, members.py,
// users.py, addresses.py, preferences.py) built from mailroom's service views.
// None values are left out, as Mailman does.
import type { AddressView } from "../../services/addresses.js";
import type { ListView } from "../../services/list-settings.js";
import type { MembershipRecord } from "../../services/memberships.js";
import type { UserView } from "../../services/users.js";
import type { Preferences } from "../../domain/preferences.js";
import { memberIdOut, pathTo, uuidOut, when, type Api } from "./http.js";

const compact = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));

export function domainOut(api: Api, d: { mailHost: string; description: string; aliasDomain: string | null }) {
  return {
    alias_domain: d.aliasDomain, description: d.description === "" ? null : d.description, mail_host: d.mailHost,
    self_link: pathTo(api, `domains/${d.mailHost}`),
  };
}

export function listOut(api: Api, l: ListView) {
  return {
    advertised: l.advertised, display_name: l.displayName, fqdn_listname: l.address, list_id: l.listId, list_name: l.name,
    mail_host: l.domain, member_count: l.memberCount, volume: 1, description: l.description,
    self_link: pathTo(api, `lists/${l.listId}`),
  };
}

export function memberOut(api: Api, m: MembershipRecord) {
  return compact({
    address: pathTo(api, `addresses/${m.email}`),
    bounce_score: m.bounceScore,
    last_bounce_received: when(m.lastBounceReceived),
    last_warning_sent: when(m.lastWarningSent),
    total_warnings_sent: m.totalWarningsSent,
    delivery_mode: m.deliveryMode,
    email: m.email,
    list_id: m.listId,
    subscription_mode: m.asUser ? "as_user" : "as_address",
    role: m.role,
    user: m.userUid ? pathTo(api, `users/${uuidOut(api, m.userUid)}`) : undefined,
    moderation_action: m.moderationAction,
    display_name: m.displayName,
    self_link: pathTo(api, `members/${memberIdOut(api, m.id)}`),
    member_id: memberIdOut(api, m.id),
  });
}

export function userOut(api: Api, u: UserView) {
  const id = uuidOut(api, u.userId);
  return compact({
    created_on: u.createdAt.replace("Z", ""),
    is_server_owner: u.isServerOwner,
    self_link: pathTo(api, `users/${id}`),
    user_id: id,
    password: u.password || undefined,
    display_name: u.displayName || undefined,
  });
}

export function addressOut(api: Api, a: AddressView) {
  const email = a.email.toLowerCase();
  return compact({
    email, original_email: a.email, registered_on: a.registeredOn.replace("Z", ""),
    self_link: pathTo(api, `addresses/${email}`),
    display_name: a.displayName || undefined,
    verified_on: a.verifiedOn?.replace("Z", ""),
    user: a.userId ? pathTo(api, `users/${uuidOut(api, a.userId)}`) : undefined,
  });
}

const PREF_NAMES: [keyof Preferences, string][] = [
  ["acknowledgePosts", "acknowledge_posts"], ["deliveryMode", "delivery_mode"], ["deliveryStatus", "delivery_status"],
  ["hideAddress", "hide_address"], ["preferredLanguage", "preferred_language"], ["receiveListCopy", "receive_list_copy"],
  ["receiveOwnPostings", "receive_own_postings"],
];

export function preferencesOut(api: Api, selfPath: string, p: Partial<Preferences>) {
  const out: Record<string, unknown> = {};
  for (const [ours, theirs] of PREF_NAMES) if (p[ours] !== undefined && p[ours] !== null) out[theirs] = p[ours];
  out.self_link = pathTo(api, selfPath);
  return out;
}

/** Mailman preference names → ours. */
export const PREFERENCE_FIELDS = Object.fromEntries(PREF_NAMES.map(([o, t]) => [t, o])) as Record<string, keyof Preferences>;
