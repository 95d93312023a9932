// GET /health: no auth; answers once the app is built (main.ts builds it after the
// database is migrated, and listens only when the other listeners are ready).
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { described } from "../common/schemas.js";

const Health = Type.Object({ status: Type.Literal("ok") }, { title: "Health", examples: [{ status: "ok" }] });

const plugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/health", {
    config: { public: true },
    schema: {
      operationId: "getHealth",
      summary: "Is the server up?",
      description: "200 `{\"status\":\"ok\"}` once the database and listeners are up. Needs no credentials.",
      tags: ["system"],
      security: [],
      response: { 200: described(Health, "The server is up") },
    },
  }, async () => ({ status: "ok" as const }));
};

export default plugin;
