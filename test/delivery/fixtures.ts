// Test data for delivery: a list with members inserted in bulk, a post handed to
// delivery the way the pipeline does it (a Message row plus an "out" list-post job),
// and delivery itself running against a sink.
import { ensureAddresses } from "../../src/services/address-book.js";
import { createHash } from "node:crypto";
import type { Database } from "../../src/db/client.js";
import { enqueue } from "../../src/queue/jobs.js";
import { loadConfig } from "../../src/config/index.js";
import { createDeliveryHandler } from "../../src/delivery/handler.js";
import { createLogger } from "../../src/log.js";
import { startRunner } from "../../src/queue/runner.js";
import type { ListPostDelivery } from "../../src/domain/out-job.js";

export interface SeedMember {
  address: string;
  displayName?: string;
  role?: "member" | "owner" | "moderator" | "nonmember";
  deliveryStatus?: "enabled" | "by_user" | "by_bounces" | "by_moderator";
}

export async function createList(db: Database, listName = "dev", mailHost = "lists.test", personalize: "none" | "individual" | "full" = "none") {
  const domain = await db.prisma.domain.upsert({ where: { mailHost }, update: {}, create: { mailHost } });
  return db.prisma.mailingList.create({
    data: {
      listName, mailHost, listId: `${listName}.${mailHost}`, domainId: domain.id,
      displayName: listName, subjectPrefix: `[${listName}] `, personalize,
    },
  });
}

export async function addMembers(db: Database, listPk: number, members: SeedMember[]): Promise<void> {
  for (let i = 0; i < members.length; i += 5000) {
    const slice = members.slice(i, i + 5000);
    const ids = await ensureAddresses(db, slice.map((m) => ({ address: m.address, key: m.address.toLowerCase(), name: m.displayName ?? "" })), true);
    await db.prisma.member.createMany({
      data: slice.map((m) => ({
        listId: listPk, addressId: ids.get(m.address.toLowerCase())!, address: m.address, addressKey: m.address.toLowerCase(), displayName: m.displayName ?? "",
        role: m.role ?? "member", deliveryStatus: m.deliveryStatus ?? "enabled",
      })),
    });
  }
}

/** `n` members spread over `domains` domains: user{i}@d{i % domains}.test. */
export function manyMembers(n: number, domains: number): SeedMember[] {
  return Array.from({ length: n }, (_, i) => ({ address: `user${i}@d${i % domains}.test`, displayName: `User ${i}` }));
}

export function postBytes(subject = "Hello list", messageId = `<${Math.random().toString(36).slice(2)}@test>`): Buffer {
  return Buffer.from(
    `From: Anne <anne@example.org>\r\nTo: dev@lists.test\r\nSubject: ${subject}\r\nMessage-ID: ${messageId}\r\n` +
    `List-Id: <dev.lists.test>\r\nList-Unsubscribe: <mailto:dev-leave@lists.test>\r\n\r\nHello everyone.\r\n`);
}

/** Stores the decorated post and enqueues its list-post job, as the pipeline's last step does. */
export async function enqueuePost(db: Database, listId: string, opts: Partial<ListPostDelivery> = {}, raw = postBytes()): Promise<bigint> {
  const messageId = /^Message-ID: (.*)$/m.exec(raw.toString("latin1"))?.[1]?.trim() ?? "<x@test>";
  return db.prisma.$transaction(async (tx) => {
    const msg = await tx.message.create({
      data: {
        messageId, messageIdHash: createHash("sha1").update(messageId).digest("hex"), mailFrom: `dev-bounces@lists.test`,
        rcptTo: [], size: raw.length, raw: new Uint8Array(raw),
      },
    });
    const data: ListPostDelivery = { kind: "list-post", listId, exclude: [], personalize: "none", ...opts };
    await enqueue(tx, [{ queue: "out", messageId: msg.id, listId, data }]);
    return msg.id;
  });
}

const log = createLogger(process.env.TEST_LOG ?? "silent");

/** Runs the delivery handler under a queue runner, sending to 127.0.0.1:`port`, while `fn` runs. */
export async function withDelivery(db: Database, opts: { port: number; secret: string; env?: Record<string, string> }, fn: () => Promise<void>): Promise<void> {
  const config = loadConfig({ MAILROOM_SMTP_PORT: String(opts.port), MAILROOM_DELIVERY_RETRY_WAIT: "1", ...opts.env });
  const handler = createDeliveryHandler({ db, config, secret: opts.secret });
  const runner = await startRunner({ db, log, handlers: [handler], leaseSeconds: 30, pollMs: 100 });
  try { await fn(); } finally { await runner.stop(); handler.close(); }
}
