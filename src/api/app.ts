// The Fastify app factory: problem+json errors, Basic auth, OpenAPI, then every
// resource plugin from routes.ts. It never listens (main.ts does; tests inject), so
// `npm run openapi:write` and the tests build the same app.
import Fastify, { LogController, type FastifyBaseLogger } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";
import type { Services } from "../services/index.js";
import { registerAuth } from "./auth.js";
import { registerOpenApi } from "./openapi.js";
import { frameworkErrors, registerProblemHandlers } from "./problem.js";
import { registerValidation } from "./validation.js";
import { routes } from "./routes.js";
import { registerMailmanApi } from "./mailman/index.js";

export interface AppDeps {
  /**
   * The use-cases behind the routes; null builds the routes and their OpenAPI
   * document only (`npm run openapi:write`, which has no database): any request
   * that reaches a service then fails.
   */
  services: Services | null;
  config: Config;
  adminPassword: string;
  log: Logger;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The use-cases; route handlers call these and never import db/. */
    services: Services;
  }
}

// 10,000 bulk members with display names fit comfortably.
const BODY_LIMIT = 8 * 1024 * 1024;

export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // One line per request would drown the log (and halve throughput); errors are logged by problem.ts.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors,
  });

  const services = deps.services;
  if (services) app.decorate("services", services);
  else app.decorate("services", { getter: (): Services => { throw new Error("this app was built without services (OpenAPI export)"); } });
  registerValidation(app);
  registerProblemHandlers(app);
  await registerOpenApi(app);
  await registerAuth(app, deps.config.admin.user, deps.adminPassword);
  for (const plugin of routes) await app.register(plugin);
  await registerMailmanApi(app);
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

export type App = Awaited<ReturnType<typeof buildApp>>;
