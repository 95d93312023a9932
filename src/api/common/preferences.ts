// The seven Mailman preferences as JSON Schema: effective values (every field
// present) and a level's own settings (any subset; null in a PATCH unsets one).
import { Type } from "typebox";

const fields = {
  deliveryMode: Type.Enum(["regular", "plaintext_digests", "mime_digests", "summary_digests"], { description: "Mailman delivery_mode (mailroom sends regular copies to every mode)" }),
  deliveryStatus: Type.Enum(["enabled", "by_user", "by_bounces", "by_moderator"], { description: "enabled, or why delivery is disabled" }),
  receiveOwnPostings: Type.Boolean({ description: "Get a copy of one's own posts" }),
  receiveListCopy: Type.Boolean({ description: "Get the list copy even when named in To/Cc" }),
  acknowledgePosts: Type.Boolean({ description: "Mailman acknowledge_posts (stored; see docs/mailman-api.md)" }),
  hideAddress: Type.Boolean({ description: "Mailman hide_address (stored; see docs/mailman-api.md)" }),
  preferredLanguage: Type.String({ minLength: 2, maxLength: 20, pattern: "^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$", description: "Language code, e.g. en" }),
};
type Fields = typeof fields;

/** Every preference, resolved. */
export const effectivePreferences = fields;

/** Optional fields, each nullable: a level's settings in a PATCH. */
export const preferencePatch = Object.fromEntries(Object.entries(fields).map(([k, s]) =>
  [k, Type.Optional(Type.Union([s, Type.Null()]))])) as { [K in keyof Fields]: ReturnType<typeof Type.Optional<ReturnType<typeof Type.Union<[Fields[K], ReturnType<typeof Type.Null>]>>>> };

/** A level's own settings (what it does not set is absent). */
export const OwnPreferences = Type.Object(
  Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, Type.Optional(s)])) as { [K in keyof Fields]: ReturnType<typeof Type.Optional<Fields[K]>> },
  {
    $id: "OwnPreferences", title: "OwnPreferences",
    description: "Preferences set at this level. Resolved member, address, user, system: what a level does not set comes from the next.",
    examples: [{ deliveryStatus: "by_user", preferredLanguage: "en" }],
  },
);

export const PreferencePatch = Type.Object(preferencePatch, {
  additionalProperties: false, title: "PreferencePatch",
  description: "Preferences to set at this level; null unsets one (the next level applies again).",
  examples: [{ receiveOwnPostings: false }, { deliveryStatus: null }],
});
