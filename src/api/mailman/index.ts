// Mailman 3.3's REST API under /3.0 and /3.1 (docs/mailman-api.md): a second face on
// mailroom's services, so that mailmanclient, Postorius and HyperKitty work
// unchanged. Form-encoded or JSON bodies, Mailman's error bodies and status codes,
// the same Basic credentials as the native API. Kept out of the OpenAPI document
// (it is Mailman's API, documented by Mailman). One file per resource.
import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import { errorBody, fromService, MailmanError } from "./http.js";
import addresses from "./addresses.js";
import bans from "./bans.js";
import domains from "./domains.js";
import headerMatches from "./header-matches.js";
import listConfig from "./list-config.js";
import lists from "./lists.js";
import members from "./members.js";
import moderation from "./moderation.js";
import system from "./system.js";
import uris from "./uris.js";
import users from "./users.js";

export type Resource = (app: FastifyInstance) => void;
const RESOURCES: Resource[] = [system, domains, lists, listConfig, members, users, addresses, bans, moderation, headerMatches, uris];

async function face(app: FastifyInstance): Promise<void> {
  await app.register(formbody);
  // Only this face's routes: hidden from the native API's OpenAPI document.
  app.addHook("onRoute", (route) => {
    route.schema = { ...(route.schema ?? {}), hide: true };
  });
  app.setErrorHandler((err, request, reply) => {
    const known = fromService(err);
    if (known) return reply.code(known.status).type("application/json").send(errorBody(known.status, known.description));
    const status = (err as { statusCode?: number }).statusCode;
    // Fastify's own 4xx (a body that is not JSON, too large…) keep their status.
    if (status && status >= 400 && status < 500) return reply.code(status).type("application/json").send(errorBody(status, (err as Error).message));
    request.log.error({ err }, "mailman api request failed");
    return reply.code(500).type("application/json").send(errorBody(500));
  });
  // A change to a roster made here is in force for this process's next read at once
  // (the triggers' NOTIFY reaches every process's list cache, this one included, a moment later).
  app.addHook("onSend", async (request, reply, payload) => {
    if (request.method !== "GET" && reply.statusCode < 300) app.services.lists.changed("*");
    return payload;
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type("application/json").send(errorBody(404)));
  for (const register of RESOURCES) register(app);
}

export async function registerMailmanApi(app: FastifyInstance): Promise<void> {
  for (const prefix of ["/3.0", "/3.1"]) await app.register(face, { prefix });
}

export { MailmanError };
