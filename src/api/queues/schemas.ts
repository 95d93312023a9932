// Schemas for GET /queues.
import { Type } from "typebox";

export const QueueDepth = Type.Object(
  {
    name: Type.Enum(["list", "command", "bounces", "owner", "out", "archive", "shunt"], { description: "Queue name; shunt holds failed jobs of every queue" }),
    depth: Type.Integer({ description: "Jobs waiting or being worked on (shunt: failed jobs kept)" }),
    oldestAgeSeconds: Type.Union([Type.Integer(), Type.Null()], { description: "Age of the oldest of them in seconds; null when empty" }),
  },
  { title: "QueueDepth", examples: [{ name: "out", depth: 3, oldestAgeSeconds: 12 }] },
);

export const Queues = Type.Object(
  { items: Type.Array(QueueDepth) },
  {
    $id: "Queues",
    title: "Queues",
    examples: [{ items: [{ name: "list", depth: 0, oldestAgeSeconds: null }, { name: "out", depth: 3, oldestAgeSeconds: 12 }] }],
  },
);
