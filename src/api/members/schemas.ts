// Schemas for /lists/{list}/members: the member object, add, bulk add, patch, and the
// `?role=` that picks one of an address's roles on a list.
import { Type } from "typebox";
import { oneLine, Page, PageQuery } from "../common/schemas.js";
import { effectivePreferences, preferencePatch } from "../common/preferences.js";

export const ROLES = ["member", "owner", "moderator", "nonmember"];
const role = (description: string) => Type.Enum(ROLES, { description });

const address = Type.String({
  minLength: 3, maxLength: 254,
  description: "Email address; surrounding spaces and the domain's case are normalised, the local part's case is kept for display",
  examples: ["Anne@example.com"],
});

const preferences = {
  displayName: Type.Optional(oneLine({ maxLength: 200, description: "Real name", examples: ["Anne Person"] })),
  moderationAction: Type.Optional(Type.Union([Type.Enum(["accept", "hold", "reject", "discard", "defer"]), Type.Null()], {
    description: "Moderation of this address's posts; null: the list's default for its role",
  })),
  // Member-level preferences; null unsets one (the address's, user's or system's applies).
  ...preferencePatch,
};

export const Member = Type.Object(
  {
    address: Type.String({ description: "The address as first given" }),
    displayName: Type.String(),
    role: role("Role on the list"),
    listId: Type.String({ description: "The list's id" }),
    moderationAction: Type.Union([Type.Enum(["accept", "hold", "reject", "discard", "defer"]), Type.Null()]),
    ...effectivePreferences,
    bounceScore: Type.Number({ description: "Current bounce score" }),
    createdAt: Type.String({ format: "date-time" }),
    ownPreferences: Type.Ref("OwnPreferences", { description: "Preferences this membership sets itself; the rest come from its address, user or the system" }),
  },
  {
    $id: "Member",
    title: "Member",
    examples: [{
      address: "Anne@example.com", displayName: "Anne Person", role: "member", listId: "mylist.example.com",
      moderationAction: null, deliveryMode: "regular", deliveryStatus: "enabled", receiveOwnPostings: true, receiveListCopy: true,
      acknowledgePosts: false, hideAddress: true, preferredLanguage: "en",
      bounceScore: 0, createdAt: "2025-01-01T12:00:00.000Z", ownPreferences: {},
    }],
  },
);

export const NewMember = Type.Object(
  { address, role: Type.Optional(role("Default member")), ...preferences },
  {
    additionalProperties: false, title: "NewMember",
    examples: [{ address: "anne@example.com", displayName: "Anne Person" }, { address: "owner@example.com", role: "owner" }],
  },
);

export const MemberPatch = Type.Object(preferences, {
  additionalProperties: false, title: "MemberPatch",
  examples: [{ deliveryStatus: "by_user" }, { moderationAction: "hold" }],
});

export const BulkMembers = Type.Object(
  {
    members: Type.Array(
      Type.Object(
        { address: Type.String({ maxLength: 1000 }), displayName: Type.Optional(oneLine({ maxLength: 200, description: "Real name" })) },
        { additionalProperties: false },
      ),
      { maxItems: 50_000, description: "Up to 50,000 addresses" },
    ),
    role: Type.Optional(role("Role given to all of them; default member")),
  },
  {
    additionalProperties: false, title: "BulkMembers",
    examples: [{ members: [{ address: "anne@example.com", displayName: "Anne Person" }, { address: "bart@example.com" }] }],
  },
);

export const BulkResult = Type.Object(
  {
    created: Type.Integer({ description: "Addresses added" }),
    existing: Type.Integer({ description: "Addresses already in that role (or repeated in the request)" }),
    invalid: Type.Array(Type.Object({ address: Type.String(), reason: Type.String() }), { description: "Addresses refused, with why" }),
  },
  { $id: "BulkResult", title: "BulkResult", examples: [{ created: 9998, existing: 1, invalid: [{ address: "not-an-address", reason: "not a valid email address" }] }] },
);

export const MemberPage = Page(Member, "MemberPage");

export const MembersParams = Type.Object({
  list: Type.String({ minLength: 1, maxLength: 320, description: "List id or posting address", examples: ["mylist.example.com"] }),
});

export const MemberParams = Type.Object({
  list: Type.String({ minLength: 1, maxLength: 320, description: "List id or posting address", examples: ["mylist.example.com"] }),
  address: Type.String({ minLength: 1, maxLength: 1000, description: "The member's address (any case)", examples: ["anne@example.com"] }),
});

export const RoleQuery = Type.Object(
  { role: Type.Optional(role("Which of the address's roles; default member")) },
  { additionalProperties: false },
);

export const MemberListQuery = Type.Object(
  { role: Type.Optional(role("Only this role; default: every role")), ...PageQuery },
  { additionalProperties: false },
);
