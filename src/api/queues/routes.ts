// GET /queues: depth and oldest age of each job queue, for operators' monitoring.
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { problems, ref } from "../common/schemas.js";
import { Queues } from "./schemas.js";

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/queues", {
    schema: {
      operationId: "getQueues",
      summary: "Queue depths",
      description: "Depth and age of the oldest job for each queue (list, command, bounces, owner, out) and for shunt (failed jobs).",
      tags: ["system"],
      response: { 200: ref(Queues, "Depth of each queue"), ...problems(401) },
    },
  }, async () => ({ items: await app.services.queues.depths() }));
};

export default plugin;
