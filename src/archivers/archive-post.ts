// What archiving an accepted post writes, inside the list job's finishing
// transaction (so it happens exactly when the post is accepted, never twice, never
// lost): the built-in archive's row with its thread, one "archive" job per external
// archiver that speaks HTTP (HyperKitty), and for mail-archive an "out" job mailing
// the copy to its address (Mailman's MailArchive.archive_message enqueues to "out"
// too, for public lists only). Called by pipeline/list-queue.ts.
import { textColumn } from "../domain/text-column.js";
import type { Tx } from "../db/client.js";
import { parentCandidates, type ArchiverName } from "../domain/archivers.js";
import { bouncesAddress, postingAddress } from "../domain/list-address.js";
import { messageIdHash } from "../domain/message-id.js";
import type { DirectDelivery } from "../domain/out-job.js";
import { RawMessage } from "../domain/raw-message.js";
import { enqueue } from "../queue/jobs.js";
import type { ArchiveList } from "./site.js";

/** The data of an "archive" job; the job's messageId is the Message row with the archive copy. */
export interface ArchiveJobData {
  archiver: "hyperkitty";
  /** The list's posting address (Mailman's fqdn_listname, HyperKitty's "mlist"). */
  mlist: string;
  /** Tries that found HyperKitty unavailable (the backoff grows with it). */
  tries?: number;
  /** HyperKitty's URL of the post, once archived. */
  url?: string;
}

export interface ArchivePostInput {
  list: ArchiveList & { id: number };
  /** The post as archived: list headers added, no footer (Mailman decorates in delivery). */
  copy: Buffer;
  messageId: string;
  messageIdHash: string;
  archivers: readonly ArchiverName[];
  mailArchiveAddress: string | null;
}

export async function archivePost(tx: Tx, p: ArchivePostInput): Promise<void> {
  const { list, copy } = p;
  const hash = p.messageIdHash;
  if (p.archivers.includes("prototype")) await keep(tx, list.id, p.messageId, hash, copy);
  const hyperkitty = p.archivers.includes("hyperkitty");
  const mailArchive = p.archivers.includes("mail-archive") && list.archivePolicy === "public" && p.mailArchiveAddress !== null;
  if (!hyperkitty && !mailArchive) return;
  const envelopeFrom = bouncesAddress(list.listName, list.mailHost);
  const row = await tx.message.create({
    data: { messageId: p.messageId, messageIdHash: hash, mailFrom: envelopeFrom, rcptTo: [], size: copy.length, raw: new Uint8Array(copy) },
    select: { id: true },
  });
  if (hyperkitty) {
    const data: ArchiveJobData = { archiver: "hyperkitty", mlist: postingAddress(list) };
    await enqueue(tx, [{ queue: "archive", messageId: row.id, listId: list.listId, data }]);
  }
  if (mailArchive) {
    const data: DirectDelivery = { kind: "direct", recipients: [p.mailArchiveAddress!], envelopeFrom };
    await enqueue(tx, [{ queue: "out", messageId: row.id, listId: list.listId, data }]);
  }
}

/** The built-in archive's row but its thread, and the hashes of its possible parents, nearest first (In-Reply-To, then References). */
export function builtinArchiveRow(listPk: number, messageId: string, hash: string, copy: Buffer) {
  const msg = RawMessage.parse(copy);
  const candidates = parentCandidates(msg.getRaw("In-Reply-To"), msg.getRaw("References")).map((id) => messageIdHash(id)).filter((h) => h !== hash);
  const date = msg.get("Date") ? new Date(msg.get("Date")!) : null;
  return {
    row: {
      listId: listPk, messageId, messageIdHash: hash, raw: new Uint8Array(copy),
      subject: textColumn(msg.get("Subject") ?? ""),
      sender: textColumn(msg.addresses("From")[0]?.address ?? "", 320),
      sentAt: date && !Number.isNaN(date.getTime()) ? date : null,
    },
    candidates,
  };
}

/** Whether archivePost writes nothing but the built-in archive's row (pipeline/list-finisher.ts writes that row in its own statement). */
export function builtinOnly(archivers: readonly ArchiverName[]): boolean {
  return archivers.every((a) => a === "prototype");
}

/** The built-in archive's row: the bytes, the index fields and the thread (parent found among this list's archived posts). */
async function keep(tx: Tx, listPk: number, messageId: string, hash: string, copy: Buffer): Promise<void> {
  const { row, candidates } = builtinArchiveRow(listPk, messageId, hash, copy);
  const known = candidates.length === 0 ? [] : await tx.archivedMessage.findMany({
    where: { listId: listPk, messageIdHash: { in: candidates } }, select: { messageIdHash: true, threadHash: true },
  });
  const parent = candidates.map((h) => known.find((k) => k.messageIdHash === h)).find((k) => k !== undefined);
  await tx.archivedMessage.createMany({
    data: [{ ...row, parentHash: parent?.messageIdHash ?? null, threadHash: parent?.threadHash || hash }],
    // The same post archived again (a moderator accepted a copy of it): kept once.
    skipDuplicates: true,
  });
}
