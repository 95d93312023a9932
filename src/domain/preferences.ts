// Mailman's preferences (interfaces/preferences.py): set on a member, an address, a
// user or the system, and looked up in that order, most specific first (Mailman
// model/member.py _lookup: member, then its address, then the address's user,
// then the system). Null at a level means "not set here".

export type DeliveryMode = "regular" | "plaintext_digests" | "mime_digests" | "summary_digests";
export type DeliveryStatus = "enabled" | "by_user" | "by_bounces" | "by_moderator";

export interface Preferences {
  deliveryMode: DeliveryMode;
  deliveryStatus: DeliveryStatus;
  receiveOwnPostings: boolean;
  receiveListCopy: boolean;
  acknowledgePosts: boolean;
  hideAddress: boolean;
  preferredLanguage: string;
}

/** One level's own settings. */
export type PreferenceLevel = { [K in keyof Preferences]: Preferences[K] | null };

export const PREFERENCE_NAMES = [
  "deliveryMode", "deliveryStatus", "receiveOwnPostings", "receiveListCopy", "acknowledgePosts", "hideAddress", "preferredLanguage",
] as const satisfies readonly (keyof Preferences)[];

/** Mailman's system preferences (config/schema.cfg [mailman] and model/preferences.py defaults). */
export const SYSTEM_PREFERENCES: Readonly<Preferences> = Object.freeze({
  deliveryMode: "regular",
  deliveryStatus: "enabled",
  receiveOwnPostings: true,
  receiveListCopy: true,
  acknowledgePosts: false,
  hideAddress: true,
  preferredLanguage: "en",
});

/** Only the settings a level sets itself (its non-null preference fields). */
export function ownPreferences(row: Partial<PreferenceLevel>): Partial<Preferences> {
  const out: Partial<Record<keyof Preferences, unknown>> = {};
  for (const name of PREFERENCE_NAMES) {
    const v = row[name];
    if (v !== null && v !== undefined) out[name] = v;
  }
  return out as Partial<Preferences>;
}

/** The effective preferences: the first level (most specific first) that sets each, else the system's. */
export function resolvePreferences(...levels: (Partial<PreferenceLevel> | null | undefined)[]): Preferences {
  const out = { ...SYSTEM_PREFERENCES } as Record<keyof Preferences, unknown>;
  for (const name of PREFERENCE_NAMES) {
    for (const level of levels) {
      const v = level?.[name];
      if (v !== null && v !== undefined) {
        out[name] = v;
        break;
      }
    }
  }
  return out as unknown as Preferences;
}
