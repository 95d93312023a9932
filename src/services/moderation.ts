// Held posts (Mailman app/moderator.py): the pipeline holds a post here and rejects
// posts with a notice; moderators list, read and decide held posts through the REST
// API. Accept re-queues the post on the "list" queue marked moderator-approved, so
// the pipeline handlers run on it without the rules (Mailman enqueues to its
// pipeline queue the same way). Called by pipeline/list-queue.ts and api/held.
import type { HeldMessage, MailingList, Prisma } from "../generated/prisma/client.js";
import type { Tx } from "../db/client.js";
import { invalid, notFound } from "../domain/errors.js";
import type { Decision, MessageContext } from "../domain/message-context.js";
import { decodeHeaderValue, RawMessage } from "../domain/raw-message.js";
import { enqueue } from "../queue/jobs.js";
import type { ServiceDeps } from "./deps.js";
import { listIdFromRef } from "./lists.js";
import { administrators, queueNotice } from "./notices.js";
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from "./pagination.js";
import { inTransaction } from "./transaction.js";

export type ModerationAction = "accept" | "discard" | "reject" | "defer";

/** What the "list" job of a moderator-accepted post carries. */
export interface ListJobData {
  moderatorApproved?: boolean;
  context?: MessageContext;
}

export interface HeldSummary {
  id: number;
  listId: string;
  sender: string;
  subject: string;
  reason: string;
  messageId: string;
  heldAt: string;
  ruleHits: string[];
  ruleMisses: string[];
}

export interface HeldDetail extends HeldSummary {
  size: number;
  /** The post's header fields in order, values decoded. */
  headers: { name: string; value: string }[];
}

/** RFC 3834: never answer the null sender or auto-submitted mail (no mail loops with robots). */
export function mayNotify(msg: RawMessage, mailFrom: string): boolean {
  if (mailFrom.trim() === "" || mailFrom.trim() === "<>") return false;
  const auto = (msg.get("Auto-Submitted") ?? "no").trim().toLowerCase();
  return auto === "" || auto.startsWith("no");
}

/** Who a notice about a post goes to: its From, else the envelope sender. */
export function posterAddress(msg: RawMessage, mailFrom: string): string {
  return msg.addresses("From")[0]?.address ?? mailFrom;
}

export interface HoldInput {
  list: MailingList;
  /** The Message row of the post as it should be released (password stripped). */
  messageRowId: bigint;
  raw: Buffer;
  mailFrom: string;
  ctx: MessageContext;
  decision: Decision;
}

/** Holds a post for the moderators and, if the list wants it, tells them why. Inside the caller's transaction. */
export async function holdPost(tx: Tx, h: HoldInput): Promise<HeldMessage> {
  const msg = RawMessage.parse(h.raw);
  const subject = msg.get("Subject") ?? "";
  const sender = posterAddress(msg, h.mailFrom);
  const reason = h.decision.reasons.join("; ") || "held for moderation";
  const held = await tx.heldMessage.create({
    data: {
      listId: h.list.id, messageId: h.messageRowId, sender, subject: subject.slice(0, 1000), reason,
      context: h.ctx as unknown as Prisma.InputJsonValue,
    },
  });
  if (h.list.adminImmedNotify) {
    const to = await administrators(tx, h.list.id);
    await queueNotice(tx, {
      list: h.list, to,
      subject: `${h.list.displayName} post from ${sender} requires approval`,
      text: [
        "As list administrator, your authorization is requested for the following mailing list posting:",
        "",
        `    List:    ${h.list.listName}@${h.list.mailHost}`,
        `    From:    ${sender}`,
        `    Subject: ${subject}`,
        "",
        "The message is being held because:",
        "",
        ...h.decision.reasons.map((r) => `    ${r}`),
        "",
        `Held message id: ${held.id} (POST /lists/${h.list.listId}/held/${held.id} with {"action": "accept" | "discard" | "reject"}).`,
      ].join("\n"),
      attach: { raw: h.raw, filename: "held-message.eml" },
    });
  }
  return held;
}

/** Sends the poster a rejection with the reason (Mailman's bounce_message), unless the post came from a robot. */
export async function rejectPost(tx: Tx, list: MailingList, raw: Buffer, mailFrom: string, reasons: string[]): Promise<boolean> {
  const msg = RawMessage.parse(raw);
  if (!mayNotify(msg, mailFrom)) return false;
  const to = posterAddress(msg, mailFrom);
  const subject = msg.get("Subject") ?? "(no subject)";
  await queueNotice(tx, {
    list, to: [to],
    from: `${list.listName}-owner@${list.mailHost}`,
    subject: `Your message to ${list.listName}@${list.mailHost} was rejected: ${subject}`.slice(0, 200),
    text: [
      `Your message to the ${list.displayName} mailing list was rejected for the following reason(s):`,
      "",
      ...reasons.map((r) => `    ${r}`),
      "",
      `Questions? Contact the list owner at ${list.listName}-owner@${list.mailHost}.`,
    ].join("\n"),
    autoSubmitted: "auto-replied",
    ...(msg.get("Message-ID") ? { inReplyTo: msg.get("Message-ID")!.trim() } : {}),
    attach: { raw, filename: "rejected-message.eml" },
  });
  return true;
}

function contextOf(held: HeldMessage): Partial<MessageContext> {
  return held.context && typeof held.context === "object" ? (held.context as unknown as Partial<MessageContext>) : {};
}

function summary(held: HeldMessage, list: MailingList, messageId: string): HeldSummary {
  const ctx = contextOf(held);
  return {
    id: held.id, listId: list.listId, sender: held.sender, subject: held.subject, reason: held.reason,
    messageId, heldAt: held.heldAt.toISOString(),
    ruleHits: ctx.ruleHits ?? [], ruleMisses: ctx.ruleMisses ?? [],
  };
}

export function createModerationService({ db }: Pick<ServiceDeps, "db">) {
  async function requireList(ref: string, client: Tx = db.prisma): Promise<MailingList> {
    const listId = listIdFromRef(ref);
    const row = listId ? await client.mailingList.findUnique({ where: { listId } }) : null;
    if (!row) throw notFound(`list ${ref} does not exist`);
    return row;
  }

  async function requireHeld(list: MailingList, id: number, client: Tx): Promise<HeldMessage> {
    const held = Number.isSafeInteger(id) && id > 0
      ? await client.heldMessage.findFirst({ where: { id, listId: list.id } })
      : null;
    if (!held) throw notFound(`no held message ${id} on list ${list.listId}`);
    return held;
  }

  return {
    async list(ref: string, page: PageRequest = {}): Promise<Page<HeldSummary>> {
      const list = await requireList(ref);
      const limit = pageLimit(page.limit);
      const after = decodeCursor(page.cursor);
      const [rows, total] = await Promise.all([
        db.prisma.heldMessage.findMany({ where: { listId: list.id, id: { gt: after } }, orderBy: { id: "asc" }, take: limit + 1 }),
        db.prisma.heldMessage.count({ where: { listId: list.id } }),
      ]);
      const ids = await db.prisma.message.findMany({
        where: { id: { in: rows.map((r) => r.messageId) } }, select: { id: true, messageId: true },
      });
      const byId = new Map(ids.map((m) => [m.id, m.messageId]));
      return toPage(rows, limit, total, (r) => summary(r, list, byId.get(r.messageId) ?? ""));
    },

    async get(ref: string, id: number): Promise<HeldDetail> {
      const list = await requireList(ref);
      const held = await requireHeld(list, id, db.prisma);
      const message = await db.prisma.message.findUnique({ where: { id: held.messageId } });
      const raw = message ? Buffer.from(message.raw) : Buffer.alloc(0);
      const headers = RawMessage.parse(raw).fields.map((f) => {
        const colon = f.raw.indexOf(":");
        return { name: f.name, value: decodeHeaderValue(f.raw.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, "").trim()) };
      });
      return { ...summary(held, list, message?.messageId ?? ""), size: raw.length, headers };
    },

    /** Carries out a moderator's decision. Defer leaves the post held. */
    async act(ref: string, id: number, action: ModerationAction, reason?: string): Promise<void> {
      if (!["accept", "discard", "reject", "defer"].includes(action)) throw invalid(`action: "${action}" is not one of accept, discard, reject, defer`);
      await inTransaction(db, async (tx) => {
        const list = await requireList(ref, tx);
        const held = await requireHeld(list, id, tx);
        if (action === "defer") return;
        await tx.heldMessage.delete({ where: { id: held.id } });
        if (action === "accept") {
          const data: ListJobData = { moderatorApproved: true, context: contextOf(held) as MessageContext };
          await enqueue(tx, [{ queue: "list", messageId: held.messageId, listId: list.listId, data }]);
        } else if (action === "reject") {
          const message = await tx.message.findUnique({ where: { id: held.messageId } });
          if (message) {
            await rejectPost(tx, list, Buffer.from(message.raw), message.mailFrom, [reason?.trim() || "[No reason given]"]);
          }
        }
      });
    },
  };
}

export type ModerationService = ReturnType<typeof createModerationService>;
