// STUB (issue 2 replaces this): the Fastify app factory; never listens.
import Fastify from "fastify";
import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";
import type { Services } from "../services/index.js";

export interface AppDeps { services: Services; config: Config; adminPassword: string; log: Logger }

export async function buildApp(deps: AppDeps) {
  const app = Fastify({ loggerInstance: deps.log });
  app.get("/health", async () => ({ status: "ok" }));
  return app;
}
