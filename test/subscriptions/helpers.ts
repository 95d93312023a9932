// Shared set-up for the subscription and bounce service tests: a fresh database with
// domain lists.example.com and list dev@, the services, and readers for queued notices.
import { Prisma } from "../../src/generated/prisma/client.js";
import { RESOLVED_MEMBER_SELECT, type ResolvedMember } from "../../src/db/member-lookup.js";
import { simpleParser } from "mailparser";
import { loadConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { createServices } from "../../src/services/index.js";
import { NO_MAPS } from "../../src/mta/updater.js";
import type { Database } from "../../src/db/client.js";

export const LIST = "dev@lists.example.com";

export async function setUp(db: Database, settings: Record<string, unknown> = {}) {
  const config = loadConfig({ MAILROOM_VAR_DIR: "/nonexistent-test-var" });
  const services = createServices({ db, config, log: createLogger("silent"), maps: NO_MAPS });
  await services.domains.create({ mailHost: "lists.example.com" });
  await services.lists.create({ address: LIST, ...settings } as never);
  return { config, services, deps: services.deps };
}

export interface QueuedNotice { to: string[]; from: string; subject: string; text: string; replyTo: string; headers: Map<string, unknown> }

/** Direct "out" jobs queued so far, oldest first, with their messages parsed. */
export async function queuedNotices(db: Database): Promise<QueuedNotice[]> {
  const jobs = await db.prisma.job.findMany({ where: { queue: "out" }, orderBy: { id: "asc" }, include: { message: true } });
  const out: QueuedNotice[] = [];
  for (const j of jobs) {
    const m = await simpleParser(Buffer.from(j.message!.raw));
    out.push({
      to: (j.data as { recipients: string[] }).recipients, from: m.from?.text ?? "", subject: m.subject ?? "",
      text: m.text ?? "", replyTo: m.replyTo?.text ?? "", headers: m.headers as Map<string, unknown>,
    });
  }
  return out;
}

/** The member row (role member) with its preferences resolved as delivery sees them, or null. */
export async function memberRow(db: Database, address: string): Promise<ResolvedMember | null> {
  const rows = await db.prisma.$queryRaw<ResolvedMember[]>`${Prisma.raw(RESOLVED_MEMBER_SELECT)}
    WHERE m."addressKey" = ${address.toLowerCase()} AND m.role = 'member' ORDER BY m.id LIMIT 1`;
  return rows[0] ?? null;
}
