// HTTP Basic auth (RFC 7617) for every route except the public ones: /health,
// /openapi.json, /docs and routes that declare `config: { public: true }` (the
// one-click unsubscribe link). Credentials are compared in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import basicAuth from "@fastify/basic-auth";
import type { FastifyInstance, FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyContextConfig {
    /** No authentication on this route. */
    public?: boolean;
  }
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time equality of two strings of any length (hash first so lengths match). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function isPublic(request: FastifyRequest): boolean {
  const url = request.routeOptions.url;
  // No route matched: let the 404 handler answer rather than asking for credentials.
  if (url === undefined) return true;
  return request.routeOptions.config?.public === true || url === "/docs" || url.startsWith("/docs/");
}

export async function registerAuth(app: FastifyInstance, user: string, password: string): Promise<void> {
  await app.register(basicAuth, {
    authenticate: { realm: "mailroom" },
    validate: async (u: string, p: string) => {
      // Both comparisons always run, so timing does not tell which one failed.
      const userOk = safeEqual(u, user);
      const passwordOk = safeEqual(p, password);
      if (!(userOk && passwordOk)) {
        throw Object.assign(new Error("wrong user name or password"), { statusCode: 401 });
      }
    },
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (isPublic(request)) return done();
    app.basicAuth(request, reply, done);
  });
}
