// Mail that mailroom writes itself (confirmations, welcome/goodbye, command results,
// bounce warnings, owner notices): renders a template (templates/, overridable per
// list, domain and site: template-loader.ts) in the recipient's language, composes
// the bytes, stores a Message row and enqueues an "out" job of kind "direct" in the
// caller's transaction, so the notice goes out only if the change that caused it
// commits. Used by subscriptions.ts, moderation.ts, bounce-scores.ts and the command
// and owner queue handlers (commands/handler.ts).
import MailComposer from "nodemailer/lib/mail-composer";
import { Prisma } from "../generated/prisma/client.js";
import type { Tx } from "../db/client.js";
import { placeholders } from "../domain/decorate.js";
import { bouncesAddress, subaddressOf } from "../domain/list-address.js";
import { makeMessageId, messageIdHash } from "../domain/message-id.js";
import type { DirectDelivery } from "../domain/out-job.js";
import { expand, type TemplateName } from "../domain/template-text.js";
import { enqueue } from "../queue/jobs.js";
import type { TemplateLoader } from "./template-loader.js";

export interface NoticeList {
  listId: string; listName: string; mailHost: string; displayName: string; description: string; preferredLanguage: string;
}

/** The fields of a list row a notice needs. */
export const noticeList = (l: NoticeList): NoticeList => ({
  listId: l.listId, listName: l.listName, mailHost: l.mailHost, displayName: l.displayName,
  description: l.description, preferredLanguage: l.preferredLanguage,
});

/** A notice whose subject and text come from a template. */
export interface TemplatedNotice extends Omit<Notice, "subject" | "text"> {
  template: TemplateName;
  /** The recipient's own language (member, address, user); unset: the list's (owner notices). */
  language?: string | null;
  /** Placeholders beyond the list's own (Mailman's extras: user_email, token, reasons, …). */
  vars?: Record<string, string>;
  /** Subject when the template has none in subjects.json. */
  subject?: string;
}

/** Builds templated notices; made once in services/index.ts. */
export function createNoticeService(loader: TemplateLoader, site: { siteOwner: string | null }) {
  /** The text and subject of a templated notice, as it would be sent. */
  async function render(tx: Tx, n: TemplatedNotice): Promise<{ subject: string; text: string; language: string }> {
    const t = await loader.load(tx, n.template, { list: n.list, language: n.language ?? null });
    const vars = {
      ...placeholders({ ...n.list, msgHeader: "", msgFooter: "" }),
      language: t.language, site_email: site.siteOwner ?? "", ...n.vars,
    };
    const subjectTemplate = loader.subject(n.template, t.language) ?? n.subject ?? n.template;
    return { subject: expand(subjectTemplate, vars).replace(/\s*[\r\n]+\s*/g, " ").slice(0, 250), text: expand(t.text, vars), language: t.language };
  }
  return {
    render,
    /** Renders and queues `n` inside `tx` (see queueNotice). */
    async queue(tx: Tx, n: TemplatedNotice): Promise<void> {
      if (n.to.length === 0) return;
      const { subject, text, language } = await render(tx, n);
      await queueNotice(tx, { ...n, subject, text, contentLanguage: language });
    },
  };
}

export type NoticeService = ReturnType<typeof createNoticeService>;

/**
 * The language a person set for themselves, for a list: the member's, else the
 * address's, else its user's (Mailman's preference lookup without the system
 * default); null when none is set, so the list's language applies.
 */
export async function recipientLanguage(tx: Tx, listPk: number, addressKey: string): Promise<string | null> {
  const rows = await tx.$queryRaw<{ lang: string | null }[]>(Prisma.sql`
    SELECT coalesce(m."preferredLanguage", a."preferredLanguage", u."preferredLanguage") AS lang
    FROM "Address" a LEFT JOIN "User" u ON u.id = a."userId"
    LEFT JOIN "Member" m ON m."addressId" = a.id AND m."listId" = ${listPk} AND m.role = 'member'
    WHERE a.email = ${addressKey} LIMIT 1`);
  return rows[0]?.lang ?? null;
}

export interface Notice {
  list: NoticeList;
  to: string[];
  subject: string;
  text: string;
  /** Default: the list's -request address, under the list's display name. */
  from?: string;
  replyTo?: string;
  /** Message-ID of the mail this answers (threading). */
  inReplyTo?: string;
  /** RFC 3834: replies to a person are "auto-replied", everything else "auto-generated". */
  autoSubmitted?: "auto-replied" | "auto-generated";
  /** A message to attach as message/rfc822 (the held post, the unrecognised bounce). */
  attach?: { raw: Buffer; filename: string };
  /** Default: the list's -bounces address. A VERP probe sets its own (Mailman's send_probe). */
  envelopeFrom?: string;
  /** False: no "Precedence: bulk" (Mailman sends probes without it, so they are not filtered as bulk). */
  bulk?: boolean;
  /** Content-Language (RFC 3282) of the text. */
  contentLanguage?: string;
}

export async function composeNotice(n: Notice): Promise<{ raw: Buffer; messageId: string }> {
  const messageId = makeMessageId(n.list.mailHost);
  const composer = new MailComposer({
    from: n.from ?? { name: `${n.list.displayName} mailing list`, address: subaddressOf(n.list.listName, n.list.mailHost, "request") },
    to: n.to,
    subject: n.subject,
    text: n.text,
    messageId,
    date: new Date(),
    ...(n.replyTo ? { replyTo: n.replyTo } : {}),
    ...(n.inReplyTo ? { inReplyTo: n.inReplyTo, references: n.inReplyTo } : {}),
    headers: {
      "Auto-Submitted": n.autoSubmitted ?? "auto-generated",
      // Keeps vacation responders quiet (RFC 3834 §2 asks them to honour Precedence as well).
      ...(n.bulk === false ? {} : { Precedence: "bulk" }),
      "X-Mailroom-List": n.list.listId,
      ...(n.contentLanguage ? { "Content-Language": n.contentLanguage } : {}),
    },
    ...(n.attach ? { attachments: [{ content: n.attach.raw, contentType: "message/rfc822", filename: n.attach.filename }] } : {}),
  });
  const raw = await composer.compile().build();
  return { raw, messageId };
}

/** Stores the notice and enqueues its delivery, inside `tx`. */
export async function queueNotice(tx: Tx, n: Notice): Promise<void> {
  if (n.to.length === 0) return;
  const { raw, messageId } = await composeNotice(n);
  const envelopeFrom = n.envelopeFrom ?? bouncesAddress(n.list.listName, n.list.mailHost);
  const msg = await tx.message.create({
    data: { messageId, messageIdHash: messageIdHash(messageId), mailFrom: envelopeFrom, rcptTo: n.to, size: raw.length, raw: new Uint8Array(raw) },
    select: { id: true },
  });
  const data: DirectDelivery = { kind: "direct", recipients: n.to, envelopeFrom };
  await enqueue(tx, [{ queue: "out", messageId: msg.id, listId: n.list.listId, data }]);
}

/**
 * Forwards a stored message as it is to the list's administrators (owners and
 * moderators); returns how many. A bounce is forwarded with the null sender, so an
 * administrator address that fails cannot send it back to -bounces and loop.
 */
export async function forwardToAdministrators(
  tx: Tx, list: NoticeList & { id: number }, messageId: bigint, opts: { nullSender: boolean },
): Promise<number> {
  const to = await administrators(tx, list.id);
  if (to.length === 0) return 0;
  const envelopeFrom = opts.nullSender ? "" : bouncesAddress(list.listName, list.mailHost);
  const data: DirectDelivery = { kind: "direct", recipients: to, envelopeFrom };
  await enqueue(tx, [{ queue: "out", messageId, listId: list.listId, data }]);
  return to.length;
}

/** Owners and moderators (Mailman's "administrators") with delivery enabled. */
export async function administrators(tx: Tx, listPk: number): Promise<string[]> {
  const rows = await tx.member.findMany({
    where: { listId: listPk, role: { in: ["owner", "moderator"] } },
    select: { address: true, addressKey: true }, orderBy: { id: "asc" },
  });
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.addressKey) && seen.add(r.addressKey)).map((r) => r.address);
}
