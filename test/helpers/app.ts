// build(t): the whole REST app in-process on a fresh database, closed when the test
// ends. Tests call it with inject() (fastify docs/Guides/Testing.md); `auth` holds
// the Basic credentials, `maps` can be swapped for a fake that fails.
import type { TestContext } from "node:test";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { loadConfig, type Config } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { createServices, type Services } from "../../src/services/index.js";
import { NO_MAPS, type MapsUpdater } from "../../src/mta/updater.js";
import { buildApp, type App } from "../../src/api/app.js";
import { createTestDatabase, type TestDatabase } from "./db.js";

export const ADMIN_USER = "admin";
export const ADMIN_PASSWORD = "test-secret";
export const AUTH = `Basic ${Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString("base64")}`;

export interface BuildOptions {
  maps?: MapsUpdater;
  env?: Record<string, string>;
}

export interface TestApp {
  app: App;
  services: Services;
  testDb: TestDatabase;
  config: Config;
  /** inject() with the admin credentials (pass `headers: { authorization: "" }` to drop them). */
  request(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Shorthands returning status and parsed JSON body. */
  call(method: InjectOptions["method"], url: string, payload?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
}

export async function build(t: TestContext, opts: BuildOptions = {}): Promise<TestApp> {
  const testDb = await createTestDatabase();
  const config = loadConfig({ MAILROOM_VAR_DIR: "/nonexistent-test-var", MAILROOM_ADMIN_USER: ADMIN_USER, ...opts.env });
  const log = createLogger("silent");
  const services = createServices({ db: testDb.db, config, log, maps: opts.maps ?? NO_MAPS });
  const app = await buildApp({ services, config, adminPassword: ADMIN_PASSWORD, log });
  await app.ready();
  t.after(async () => {
    await app.close();
    await testDb.close();
  });
  const request = (o: InjectOptions) => app.inject({ ...o, headers: { authorization: AUTH, ...o.headers } });
  return {
    app, services, testDb, config, request,
    async call(method, url, payload) {
      const res = await request({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
      const type = String(res.headers["content-type"] ?? "");
      return { status: res.statusCode, body: type.includes("json") ? res.json() : res.body, headers: res.headers };
    },
  };
}
