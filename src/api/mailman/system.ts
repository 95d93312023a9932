// system/versions, system/configuration, system/preferences, system/pipelines,
// system/chains, and queues (Mailman rest/root.py, rest/queues.py).
import type { FastifyInstance } from "fastify";
import { SYSTEM_PREFERENCES } from "../../domain/preferences.js";
import { apiOf, collectionOf, etagged, notFound, pathTo } from "./http.js";
import { preferencesOut } from "./represent.js";

/** What mailroom answers for Mailman's configuration sections (the ones clients read). */
const CONFIGURATION: Record<string, Record<string, string>> = {
  mailman: { site_owner: "changeme@example.com", default_language: "en", layout: "mailroom", noreply_address: "noreply", pending_request_life: "3d" },
  devmode: { enabled: "no" },
  mta: { incoming: "mailroom (LMTP)", outgoing: "mailroom (SMTP)", lmtp_host: "127.0.0.1", lmtp_port: "8024" },
  webservice: { api_version: "3.1", hostname: "localhost", port: "8001", use_https: "no" },
  "language.en": { charset: "utf-8", description: "English (USA)", enabled: "yes" },
  "language.de": { charset: "utf-8", description: "German", enabled: "yes" },
  archiver: {},
};

export default function system(app: FastifyInstance): void {
  app.get("/system", async (request) => etagged(versions(request)));
  app.get("/system/versions", async (request) => etagged(versions(request)));
  app.get("/system/configuration", async (request) => {
    const api = apiOf(request);
    return etagged({ sections: Object.keys(CONFIGURATION).sort().map((s) => pathTo(api, `system/configuration/${s}`)), self_link: pathTo(api, "system/configuration") });
  });
  app.get("/system/configuration/:section", async (request) => {
    const name = (request.params as { section: string }).section;
    const section = CONFIGURATION[name];
    if (!section) throw notFound();
    // site_owner is MAILROOM_SITE_OWNER when set (services.deps is absent in the OpenAPI export).
    const siteOwner = name === "mailman" ? app.services.deps.config.siteOwner : null;
    return etagged({ ...section, ...(siteOwner ? { site_owner: siteOwner } : {}) });
  });
  app.get("/system/preferences", async (request) => etagged(preferencesOut(apiOf(request), "system/preferences", SYSTEM_PREFERENCES)));
  app.get("/system/pipelines", async () => etagged({ pipelines: ["default-posting-pipeline", "default-owner-pipeline"] }));
  app.get("/system/chains", async (request) => collectionOf(request.query as Record<string, unknown>, [
    { name: "default-posting-chain", description: "The built-in moderation chain." },
    { name: "accept", description: "Accept a message." },
    { name: "hold", description: "Hold a message and stop processing." },
    { name: "reject", description: "Reject/bounce a message and stop processing." },
    { name: "discard", description: "Discard a message and stop processing." },
  ]));
  const queueOut = (api: ReturnType<typeof apiOf>, d: { name: string; depth: number }) => ({
    name: d.name, directory: `database:${d.name}`, count: d.depth, files: [], self_link: pathTo(api, `queues/${d.name}`),
  });
  app.get("/queues", async (request) => {
    const api = apiOf(request);
    const depths = await app.services.queues.depths();
    return collectionOf(request.query as Record<string, unknown>, depths.map((d) => queueOut(api, d)));
  });
  // One queue (Postorius's System information page reads each one's files).
  app.get("/queues/:name", async (request) => {
    const { name } = request.params as { name: string };
    const d = (await app.services.queues.depths()).find((q) => q.name === name);
    if (!d) throw notFound(`queue ${name} does not exist`);
    return etagged(queueOut(apiOf(request), d));
  });
}

function versions(request: import("fastify").FastifyRequest) {
  const api = apiOf(request);
  return { mailman_version: "GNU Mailman 3.3.8 (mailroom)", python_version: "mailroom (Node.js)", api_version: api.version, self_link: pathTo(api, "system/versions") };
}
