// Schemas for the held-message routes (moderation of held posts).
import { Type } from "typebox";
import { PageQuery, Page } from "../common/schemas.js";

export const HeldParams = Type.Object({
  list: Type.String({ minLength: 1, maxLength: 320, description: "List id (`mylist.example.com`) or posting address" }),
});

export const HeldItemParams = Type.Object({
  list: Type.String({ minLength: 1, maxLength: 320, description: "List id (`mylist.example.com`) or posting address" }),
  id: Type.Integer({ minimum: 1, maximum: 2147483647, description: "Held message id" }),
});

export const HeldQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

const summaryFields = {
  id: Type.Integer({ description: "Held message id (use in the path to act on it)" }),
  listId: Type.String(),
  sender: Type.String({ description: "Who the post is from" }),
  subject: Type.String(),
  reason: Type.String({ description: "Why it is held (the rule chain's reasons, joined with '; ')" }),
  messageId: Type.String({ description: "The post's Message-ID" }),
  heldAt: Type.String({ format: "date-time" }),
  ruleHits: Type.Array(Type.String(), { description: "Rules that hit, in chain order" }),
  ruleMisses: Type.Array(Type.String(), { description: "Rules that missed, in chain order" }),
};

export const HeldMessage = Type.Object(summaryFields, {
  title: "HeldMessage",
  examples: [{
    id: 1, listId: "mylist.example.com", sender: "stranger@example.org", subject: "Hello", reason: "The message is not from a list member",
    messageId: "<abc@example.org>", heldAt: "2026-01-01T10:00:00.000Z", ruleHits: ["nonmember-moderation"], ruleMisses: ["dmarc-mitigation", "approved", "emergency", "loop", "member-moderation", "header-match"],
  }],
});

export const HeldMessageDetail = Type.Object({
  ...summaryFields,
  size: Type.Integer({ description: "Size of the held post in bytes" }),
  headers: Type.Array(Type.Object({ name: Type.String(), value: Type.String() }), { description: "The post's header fields in order, values decoded" }),
}, { title: "HeldMessageDetail" });

export const HeldPage = Page(HeldMessage, "HeldMessagePage");

export const ModerationDecision = Type.Object({
  action: Type.Enum(["accept", "discard", "reject", "defer"], {
    description: "accept: send to the list; discard: drop silently; reject: drop and tell the sender why; defer: keep holding",
  }),
  reason: Type.Optional(Type.String({ maxLength: 2000, description: "For reject: the reason given to the sender" })),
}, { additionalProperties: false, title: "ModerationDecision", examples: [{ action: "reject", reason: "Off topic" }] });
