// Shared set-up for the LMTP tests: a config with port 0, a silent logger, an
// in-process LMTP server on a test database, and lists created straight in the
// database with the same NOTIFY the list service sends.
import { loadConfig, type Config } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import type { Database } from "../../src/db/client.js";
import type { Services } from "../../src/services/index.js";
import { createLmtpServer, type LmtpServer } from "../../src/lmtp/server.js";

export const silent = createLogger("silent");

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ MAILROOM_VAR_DIR: "/tmp/mailroom-lmtp-unused", MAILROOM_LMTP_PORT: "0", ...env });
}

export async function startLmtp(db: Database, env: Record<string, string> = {}): Promise<{ lmtp: LmtpServer; port: number }> {
  // The LMTP server reaches the database through db; it needs nothing from services.
  const lmtp = createLmtpServer({ db, services: {} as Services, config: testConfig(env), log: silent });
  const port = await lmtp.listen("127.0.0.1", 0);
  return { lmtp, port };
}

export async function createList(db: Database, address: string): Promise<string> {
  const [listName, mailHost] = address.toLowerCase().split("@") as [string, string];
  const listId = `${listName}.${mailHost}`;
  await db.prisma.$transaction(async (tx) => {
    const domain = await tx.domain.upsert({ where: { mailHost }, update: {}, create: { mailHost } });
    await tx.mailingList.create({
      data: { listName, mailHost, listId, domainId: domain.id, displayName: listName, subjectPrefix: `[${listName}] ` },
    });
    await tx.$executeRaw`SELECT pg_notify('mailroom_lists', ${listId})`;
  });
  return listId;
}

export async function deleteList(db: Database, listId: string): Promise<void> {
  await db.prisma.$transaction(async (tx) => {
    await tx.mailingList.delete({ where: { listId } });
    await tx.$executeRaw`SELECT pg_notify('mailroom_lists', ${listId})`;
  });
}

export function message(headers: Record<string, string>, body = "This is an interesting message.\n"): string {
  return Object.entries(headers).map(([k, v]) => `${k}: ${v}\n`).join("") + "\n" + body;
}
