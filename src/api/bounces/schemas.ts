// Schema of a member's bounce record (/lists/{list}/members/{address}/bounces).
import { Type } from "typebox";

export const BounceRecord = Type.Object(
  {
    address: Type.String(),
    deliveryStatus: Type.Enum(["enabled", "by_user", "by_bounces", "by_moderator"]),
    bounceScore: Type.Number(),
    lastBounceReceived: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    lastWarningSent: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    totalWarningsSent: Type.Integer(),
    events: Type.Array(Type.Object({
      kind: Type.Enum(["permanent", "temporary"]),
      reason: Type.String({ description: "DSN status and diagnostic, or the SMTP reply met during delivery" }),
      messageId: Type.String({ description: "Message-ID of the bounce (empty for delivery-time refusals)" }),
      processed: Type.Boolean({ description: "Scored already" }),
      createdAt: Type.String({ format: "date-time" }),
    })),
  },
  {
    title: "BounceRecord",
    description: "The member's bounce score, delivery status, warnings and latest bounce events",
    examples: [{
      address: "anne@example.com", deliveryStatus: "by_bounces", bounceScore: 5, lastBounceReceived: "2025-01-05T08:00:00.000Z",
      lastWarningSent: "2025-01-05T08:00:00.000Z", totalWarningsSent: 1,
      events: [{ kind: "permanent", reason: "5.1.1 550 5.1.1 User unknown", messageId: "<bounce@mx.example.org>", processed: true, createdAt: "2025-01-05T08:00:00.000Z" }],
    }],
  },
);
