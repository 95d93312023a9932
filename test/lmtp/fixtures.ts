// Shared set-up for the LMTP tests: a config with port 0, a silent logger, an
// in-process LMTP server on a test database, and lists made through the services
// (which NOTIFY the LMTP server's cache like a REST call does).
import { loadConfig, type Config } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import type { Database } from "../../src/db/client.js";
import { createServices, type Services } from "../../src/services/index.js";
import { NO_MAPS } from "../../src/mta/updater.js";
import { createLmtpServer, type LmtpServer } from "../../src/lmtp/server.js";

export const silent = createLogger("silent");

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ MAILROOM_VAR_DIR: "/tmp/mailroom-lmtp-unused", MAILROOM_LMTP_PORT: "0", ...env });
}

export async function startLmtp(db: Database, env: Record<string, string> = {}): Promise<{ lmtp: LmtpServer; port: number }> {
  const lmtp = createLmtpServer({ services: servicesFor(db), config: testConfig(env), log: silent });
  const port = await lmtp.listen("127.0.0.1", 0);
  return { lmtp, port };
}

/** Creates the list (and its domain when missing) through the list service, as REST does. */
export async function createList(db: Database, address: string): Promise<string> {
  const services = servicesFor(db);
  const mailHost = address.toLowerCase().split("@")[1]!;
  if (!(await db.prisma.domain.findUnique({ where: { mailHost } }))) await services.domains.create({ mailHost });
  return (await services.lists.create({ address })).listId;
}

export async function deleteList(db: Database, listId: string): Promise<void> {
  await servicesFor(db).lists.remove(listId);
}

function servicesFor(db: Database): Services {
  return createServices({ db, config: testConfig(), log: silent, maps: NO_MAPS });
}

export function message(headers: Record<string, string>, body = "This is an interesting message.\n"): string {
  return Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join("") + "\n" + body;
}
