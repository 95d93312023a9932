// Schemas for pending subscription requests (/lists/{list}/requests) and starting a
// subscription workflow (/lists/{list}/subscriptions).
import { Type } from "typebox";
import { oneLine, Page, PageQuery } from "../common/schemas.js";

const TOKEN_EXAMPLE = "3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f901";

export const ListParams = Type.Object({ list: Type.String({ maxLength: 320, description: "List id or posting address" }) });
export const RequestParams = Type.Object({
  list: Type.String({ maxLength: 320, description: "List id or posting address" }),
  token: Type.String({ maxLength: 100, description: "The request's token" }),
});
export const RequestListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const SubscriptionRequest = Type.Object(
  {
    token: Type.String({ description: "Random, single-use token; also the -confirm+TOKEN address extension" }),
    listId: Type.String(),
    kind: Type.Enum(["subscription", "unsubscription"]),
    address: Type.String(),
    displayName: Type.String(),
    state: Type.Enum(["awaiting_confirmation", "awaiting_moderation"], { description: "Who must act next: the subscriber or a moderator" }),
    createdAt: Type.String({ format: "date-time" }),
    expiresAt: Type.String({ format: "date-time", description: "After this the token is void (default 3 days)" }),
  },
  {
    title: "SubscriptionRequest",
    description: "A pending subscription or unsubscription request",
    examples: [{
      token: TOKEN_EXAMPLE, listId: "mylist.example.com", kind: "subscription", address: "anne@example.com", displayName: "Anne",
      state: "awaiting_moderation", createdAt: "2025-01-01T12:00:00.000Z", expiresAt: "2025-01-04T12:00:00.000Z",
    }],
  },
);
export const RequestPage = Page(SubscriptionRequest, "SubscriptionRequestPage");

export const RequestAction = Type.Object(
  {
    action: Type.Enum(["accept", "discard", "reject", "defer"], {
      description: "accept: subscribe (or confirm on the subscriber's behalf); reject: refuse and tell the subscriber; discard: drop silently; defer: decide later",
    }),
    reason: Type.Optional(Type.String({ maxLength: 2000, description: "Told to the subscriber on reject" })),
  },
  { additionalProperties: false, title: "RequestAction", examples: [{ action: "accept" }, { action: "reject", reason: "Members of staff only" }] },
);

export const Outcome = Type.Object(
  {
    status: Type.Enum(["subscribed", "unsubscribed", "awaiting_confirmation", "awaiting_moderation", "already_member", "not_member", "deferred", "discarded", "rejected"]),
    address: Type.String(),
    token: Type.Optional(Type.String({ description: "Present while the request is pending" })),
  },
  { title: "SubscriptionOutcome", description: "Where the workflow stands for the address", examples: [{ status: "awaiting_confirmation", address: "anne@example.com", token: TOKEN_EXAMPLE }] },
);

export const NewSubscription = Type.Object(
  {
    address: Type.String({ minLength: 3, maxLength: 254, examples: ["anne@example.com"] }),
    displayName: Type.Optional(oneLine({ maxLength: 200, description: "Real name" })),
    confirm: Type.Optional(Type.Boolean({
      default: true,
      description: "true (default): mail the address a confirmation request first (an invitation); false: the address is vouched for. The list's moderation policy applies either way.",
    })),
  },
  { additionalProperties: false, title: "NewSubscription", examples: [{ address: "anne@example.com", displayName: "Anne", confirm: true }] },
);
