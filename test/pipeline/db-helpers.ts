// Database-backed helpers for pipeline tests: a domain and list, members, a post
// stored the way LMTP stores it (Message + "list" Job), and a drain that runs the
// list-queue handler over every ready list job as the queue runner would.
import type { Database } from "../../src/db/client.js";
import type { MailingList, Prisma } from "../../src/generated/prisma/client.js";
import { ensureAddresses } from "../../src/services/address-book.js";
import { messageIdHash } from "../../src/domain/message-id.js";
import { RawMessage } from "../../src/domain/raw-message.js";
import { createLogger } from "../../src/log.js";
import { claim, enqueue } from "../../src/queue/jobs.js";
import { complete } from "../../src/queue/transitions.js";
import { processPost } from "../../src/pipeline/list-queue.js";
import type { DmarcResolver } from "../../src/pipeline/dmarc.js";
import type { ArchiveSite } from "../../src/archivers/site.js";
import { fakeDmarc } from "./helpers.js";

export const quietLog = createLogger("silent");

export async function createList(db: Database, over: Partial<Prisma.MailingListUncheckedCreateInput> = {}): Promise<MailingList> {
  const domain = await db.prisma.domain.upsert({ where: { mailHost: "example.com" }, create: { mailHost: "example.com" }, update: {} });
  return db.prisma.mailingList.create({
    data: { listName: "test", mailHost: "example.com", listId: "test.example.com", domainId: domain.id, displayName: "Test", subjectPrefix: "[Test] ", ...over },
  });
}

export async function addMember(db: Database, list: MailingList, address: string, over: Partial<Prisma.MemberUncheckedCreateInput> = {}) {
  const ids = await ensureAddresses(db, [{ address, key: address.toLowerCase(), name: "" }], true);
  return db.prisma.member.create({ data: { listId: list.id, addressId: ids.get(address.toLowerCase())!, address, addressKey: address.toLowerCase(), ...over } });
}

/** Stores a post as LMTP does and queues it for the list; returns the Message row id. */
export async function insertPost(db: Database, raw: Buffer, mailFrom = "anne@example.com", listId = "test.example.com"): Promise<bigint> {
  const messageId = RawMessage.parse(raw).get("Message-ID")?.trim() ?? "<none@example.com>";
  return db.prisma.$transaction(async (tx) => {
    const m = await tx.message.create({
      data: { messageId, messageIdHash: messageIdHash(messageId), mailFrom, rcptTo: [listId.replace(".", "@")], size: raw.length, raw: raw as Uint8Array<ArrayBuffer> },
    });
    await enqueue(tx, [{ queue: "list", messageId: m.id, listId }]);
    return m.id;
  });
}

/** Runs every ready list job through the pipeline; returns how many ran. */
export async function drainListQueue(db: Database, dmarc: DmarcResolver = fakeDmarc({}), archives?: ArchiveSite): Promise<number> {
  let n = 0;
  for (;;) {
    const jobs = await claim(db, "list", 10, 60);
    if (jobs.length === 0) return n;
    for (const job of jobs) {
      await processPost({ db, log: quietLog, dmarc, ...(archives ? { archives } : {}) }, job, quietLog);
      await complete(db.prisma, job);
      n++;
    }
  }
}

export async function outJobs(db: Database) {
  const jobs = await db.prisma.job.findMany({ where: { queue: "out" }, orderBy: { id: "asc" }, include: { message: true } });
  return jobs.map((j) => ({ ...j, raw: Buffer.from(j.message!.raw), msg: RawMessage.parse(Buffer.from(j.message!.raw)) }));
}
