// Bounce scores per member, as Mailman 3 keeps them (app/bounces.py, model/bounce.py):
// each parsed bounce and each 5xx met by delivery becomes a BounceEvent; permanent
// ones raise the member's score at most once a day, a score older than
// bounceInfoStaleAfter starts again at 1, reaching bounceScoreThreshold disables
// delivery (by_bounces) and starts "you are disabled" warnings every
// bounceYouAreDisabledWarningsInterval; after bounceYouAreDisabledWarnings of them
// the member is removed. With verp_probes (list verpProbes, else MAILROOM_VERP_PROBES)
// the threshold sends a probe with a unique VERP return path instead, and only the
// probe's bounce disables. Called by the "bounces" queue handler and its sweep, and
// by api/bounces for a member's record.
import { randomBytes } from "node:crypto";
import type { MailingList, Member } from "../generated/prisma/client.js";
import type { Tx } from "../db/client.js";
import type { BounceReport } from "../domain/bounce-report.js";
import { parseAddress } from "../domain/address.js";
import { probeAddress, subaddressOf } from "../domain/list-address.js";
import type { ServiceDeps } from "./deps.js";
import { administrators, noticeList, recipientLanguage, type NoticeService } from "./notices.js";
import type { TemplateName } from "../domain/template-text.js";
import { inTransaction } from "./transaction.js";

export interface BounceServiceOptions { now?: () => Date }

export interface RecordResult {
  /** Events stored for members of the list. */
  recorded: number;
  /** Addresses the report named that are not members (ignored, as Mailman does). */
  unknown: string[];
}

const DAY_MS = 24 * 3600 * 1000;
/** A probe's token stays valid this long (Mailman's PENDABLE_LIFETIME, 10 days). */
const PROBE_LIFETIME_MS = 10 * DAY_MS;

/** A BounceEvent as the scorer reads it. */
interface PendingEvent { addressKey: string; kind: string; context: string; reason: string; messageId: string }

const sameUtcDay = (a: Date, b: Date) => Math.floor(a.getTime() / DAY_MS) === Math.floor(b.getTime() / DAY_MS);

export interface ProbeResult { address: string; disabled: boolean }

export function createBounceService({ db, log, config }: ServiceDeps, notices: NoticeService, opts: BounceServiceOptions = {}) {
  const now = opts.now ?? (() => new Date());
  const probesOn = (list: MailingList) => list.verpProbes ?? config.verpProbes;

  async function warn(tx: Tx, list: MailingList, m: Member, at_ = now()): Promise<void> {
    // Claim the warning first: an overlapping sweep that read the same lastWarningSent sends none.
    const claimed = await tx.member.updateMany({
      where: { id: m.id, lastWarningSent: m.lastWarningSent, totalWarningsSent: m.totalWarningsSent },
      data: { lastWarningSent: at_, totalWarningsSent: { increment: 1 } },
    });
    if (claimed.count === 0) return;
    await notices.queue(tx, {
      list: noticeList(list), to: [m.address], template: "list:user:notice:warning",
      language: await recipientLanguage(tx, list.id, m.addressKey), // address, email and owneraddr: what Mailman's send_probe also fills in, so an override written for Mailman renders.
      vars: { sender_email: m.address, user_email: m.address, address: m.address, email: m.address, owneraddr: `${list.listName}-owner@${list.mailHost}` },
    });
  }

  async function notifyOwners(tx: Tx, list: MailingList, template: TemplateName, vars: Record<string, string>): Promise<void> {
    await notices.queue(tx, { list: noticeList(list), to: await administrators(tx, list.id), template, vars });
  }

  async function remove(tx: Tx, list: MailingList, m: Member): Promise<void> {
    const gone = await tx.member.deleteMany({ where: { id: m.id } });
    if (gone.count === 0) return; // removed by an overlapping sweep
    log.info({ list: list.listId, member: m.addressKey }, "member removed after bounce warnings");
    if (list.bounceNotifyOwnerOnRemoval) {
      await notifyOwners(tx, list, "list:admin:notice:removal", { member: m.address, warnings: String(m.totalWarningsSent) });
    }
  }

  /** Delivery off (by_bounces), the owners told, the first warning sent (Mailman's _disable_delivery). */
  async function disable(tx: Tx, list: MailingList, m: Member, why: string, reason: string): Promise<void> {
    if (m.deliveryStatus === "by_bounces") return;
    m = await tx.member.update({ where: { id: m.id }, data: { deliveryStatus: "by_bounces", totalWarningsSent: 0, lastWarningSent: null } });
    log.info({ list: list.listId, member: m.addressKey, why }, "delivery disabled by bounces");
    if (list.bounceNotifyOwnerOnDisable) {
      await notifyOwners(tx, list, "list:admin:notice:disable", { member: m.address, reason: why, bounce: reason || "(no detail)" });
    }
    if (list.bounceYouAreDisabledWarnings <= 0) await remove(tx, list, m);
    else await warn(tx, list, m);
  }

  /**
   * Mailman's send_probe: a notice to the member whose return path carries a fresh
   * token, with the bounce that triggered it attached; the score starts again at 0.
   */
  async function sendProbe(tx: Tx, list: MailingList, m: Member, bounceMessageId: string): Promise<void> {
    const token = randomBytes(16).toString("hex");
    const t = now();
    await tx.bounceProbe.create({
      data: { token, listId: list.id, address: m.address, addressKey: m.addressKey, bounceMessageId, expiresAt: new Date(t.getTime() + PROBE_LIFETIME_MS) },
    });
    await tx.member.update({ where: { id: m.id }, data: { bounceScore: 0 } });
    const bounce = bounceMessageId ? await tx.message.findFirst({ where: { messageId: bounceMessageId }, select: { raw: true } }) : null;
    await notices.queue(tx, {
      list: noticeList(list), to: [m.address], template: "list:user:notice:probe",
      language: await recipientLanguage(tx, list.id, m.addressKey), // address, email and owneraddr: what Mailman's send_probe also fills in, so an override written for Mailman renders.
      vars: { sender_email: m.address, user_email: m.address, address: m.address, email: m.address, owneraddr: `${list.listName}-owner@${list.mailHost}` },
      envelopeFrom: probeAddress(list.listName, list.mailHost, token), bulk: false,
      ...(bounce ? { attach: { raw: Buffer.from(bounce.raw), filename: "bounce.eml" } } : {}),
    });
    log.info({ list: list.listId, member: m.addressKey }, "bounce probe sent");
  }

  /** One event against one member (Mailman's BounceProcessor.process_event). */
  async function score(tx: Tx, list: MailingList, m: Member, e: PendingEvent): Promise<void> {
    // The probe came back: the address is dead, whatever the score.
    if (e.context === "probe") return disable(tx, list, m, "a probe message to the address bounced", e.reason);
    if (e.kind !== "permanent") return;
    const t = now();
    // Re-enabled by an admin since the last round: start afresh. Bounces disable the
    // membership itself; unset (null) means the member has not been disabled here.
    if ((m.deliveryStatus ?? "enabled") === "enabled" && m.totalWarningsSent > 0) {
      m = await tx.member.update({ where: { id: m.id }, data: { bounceScore: 0, totalWarningsSent: 0, lastWarningSent: null } });
    }
    if ((m.deliveryStatus ?? "enabled") !== "enabled") return;
    if (m.lastBounceReceived && sameUtcDay(m.lastBounceReceived, t)) return;
    const stale = !m.lastBounceReceived || m.lastBounceReceived.getTime() + list.bounceInfoStaleAfter * 1000 < t.getTime();
    const newScore = stale ? 1 : m.bounceScore + 1;
    m = await tx.member.update({ where: { id: m.id }, data: { bounceScore: newScore, lastBounceReceived: t } });
    if (newScore < list.bounceScoreThreshold) return;
    if (probesOn(list)) return sendProbe(tx, list, m, e.messageId);
    await disable(tx, list, m, `bounce score ${newScore} reached the threshold ${list.bounceScoreThreshold}`, e.reason);
  }

  /** Scores every unprocessed BounceEvent (from -bounces mail or from delivery's 5xx). */
  async function processEvents(tx: Tx, limit = 500): Promise<number> {
    const events = await tx.$queryRaw<(PendingEvent & { id: bigint; listId: number })[]>`
      SELECT id, "listId", "addressKey", kind::text AS kind, context::text AS context, reason, "messageId" FROM "BounceEvent"
      WHERE processed = false ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    const lists = new Map<number, MailingList | null>();
    for (const e of events) {
      if (!lists.has(e.listId)) lists.set(e.listId, await tx.mailingList.findUnique({ where: { id: e.listId } }));
      const list = lists.get(e.listId);
      if (list?.processBounces) {
        const m = await tx.member.findUnique({ where: { listId_role_addressKey: { listId: list.id, role: "member", addressKey: e.addressKey } } });
        if (m) await score(tx, list, m, e);
      }
    }
    if (events.length) await tx.bounceEvent.updateMany({ where: { id: { in: events.map((e) => e.id) } }, data: { processed: true } });
    return events.length;
  }

  /**
   * Further warnings, then removal, for members disabled by bounces (Mailman's send_warnings
   * task): the due ones, oldest warning first, one transaction per batch.
   */
  async function warnings(batch = 500): Promise<void> {
    const t = now();
    const at = t.toISOString();
    for (;;) {
      const n = await inTransaction(db, async (tx) => {
        // Due: never warned, or the list's interval has passed. Warned in this sweep
        // (lastWarningSent = t) is excluded so a zero interval cannot loop.
        const due = await tx.$queryRaw<{ id: number }[]>`
          SELECT m.id FROM "Member" m JOIN "MailingList" l ON l.id = m."listId"
          WHERE m."deliveryStatus" = 'by_bounces' AND m.role = 'member'
            AND (m."lastWarningSent" IS NULL OR (m."lastWarningSent" < ${at}::timestamptz
              AND m."lastWarningSent" + l."bounceYouAreDisabledWarningsInterval" * interval '1 second' <= ${at}::timestamptz))
          ORDER BY m."lastWarningSent" ASC NULLS FIRST, m.id
          LIMIT ${batch} FOR UPDATE OF m SKIP LOCKED`;
        if (due.length === 0) return 0;
        const rows = await tx.member.findMany({ where: { id: { in: due.map((d) => d.id) } }, include: { list: true } });
        for (const { list, ...m } of rows) {
          if (m.totalWarningsSent >= list.bounceYouAreDisabledWarnings) await remove(tx, list, m);
          else await warn(tx, list, m, t);
        }
        return due.length;
      });
      if (n < batch) return;
    }
  }

  return {
    /**
     * Stores one event per member the report names (non-members are ignored) and
     * scores them at once. `messageId` is the bounce's own Message-ID, for the record.
     */
    record(listPk: number, report: BounceReport): Promise<RecordResult> {
      return inTransaction(db, async (tx) => {
        const unknown: string[] = [];
        let recorded = 0;
        for (const r of report.recipients) {
          const key = parseAddress(r.address)?.key ?? r.address.toLowerCase();
          const member = await tx.member.findFirst({ where: { listId: listPk, addressKey: key, role: "member" }, select: { address: true } });
          if (!member) { unknown.push(r.address); continue; }
          await tx.bounceEvent.create({
            data: {
              listId: listPk, address: member.address, addressKey: key, messageId: report.messageId, kind: r.kind,
              reason: [r.status, r.reason].filter(Boolean).join(" ").slice(0, 1000) || report.format,
            },
          });
          recorded++;
        }
        await processEvents(tx);
        return { recorded, unknown };
      });
    },

    /**
     * Mail returned to a probe's VERP address (Mailman's ProbeVERP): consumes the token
     * and records a probe event, which disables the member. Null when the token is
     * unknown, used or expired (the message is then read as any other bounce).
     */
    recordProbe(list: MailingList, token: string, reason: string, messageId: string): Promise<ProbeResult | null> {
      return inTransaction(db, async (tx) => {
        const t = now();
        const probe = await tx.bounceProbe.findFirst({ where: { token, listId: list.id, expiresAt: { gt: t } } });
        if (!probe) return null;
        await tx.bounceProbe.delete({ where: { id: probe.id } });
        const member = await tx.member.findUnique({ where: { listId_role_addressKey: { listId: list.id, role: "member", addressKey: probe.addressKey } } });
        if (!member) return { address: probe.address, disabled: false };
        await tx.bounceEvent.create({
          data: { listId: list.id, address: member.address, addressKey: member.addressKey, messageId, kind: "permanent", context: "probe", reason: reason.slice(0, 1000) || "probe bounced" },
        });
        await processEvents(tx);
        const after = await tx.member.findUnique({ where: { id: member.id }, select: { deliveryStatus: true } });
        return { address: member.address, disabled: after?.deliveryStatus === "by_bounces" };
      });
    },

    /**
     * Sends a bounce nobody could read, attached to a list:admin:notice:unrecognized
     * notice, where forwardUnrecognizedBouncesTo says (Mailman's maybe_forward): the
     * list's administrators, or the site owner (MAILROOM_SITE_OWNER; unset: the
     * administrators). The null sender keeps a failing recipient from looping it back.
     */
    forwardUnrecognised(list: MailingList, messageId: bigint): Promise<number> {
      return inTransaction(db, async (tx) => {
        if (list.forwardUnrecognizedBouncesTo === "no_one") return 0;
        const toSite = list.forwardUnrecognizedBouncesTo === "site_owner" && config.siteOwner !== null;
        const to = toSite ? [config.siteOwner!] : await administrators(tx, list.id);
        const bounce = await tx.message.findUnique({ where: { id: messageId }, select: { raw: true } });
        if (!bounce || to.length === 0) return 0;
        await notices.queue(tx, {
          list: noticeList(list), to, template: "list:admin:notice:unrecognized", envelopeFrom: "",
          vars: { recipient_kind: toSite ? "the site owner" : "the list administrators" },
          attach: { raw: Buffer.from(bounce.raw), filename: "bounce.eml" },
        });
        return to.length;
      });
    },

    /** The periodic pass: score pending events, send due warnings, remove after the last one. */
    async sweep(): Promise<void> {
      // One transaction per batch: a long backlog never holds one transaction for
      // the length of the drain.
      while ((await inTransaction(db, (tx) => processEvents(tx))) === 500) { /* drain */ }
      await warnings();
    },

    /** A member's score, delivery status, warnings and latest events (REST); null if not a member. */
    async memberRecord(listPk: number, rawAddress: string, limit = 100) {
      const key = parseAddress(rawAddress)?.key;
      const m = key ? await db.prisma.member.findUnique({ where: { listId_role_addressKey: { listId: listPk, role: "member", addressKey: key } } }) : null;
      if (!m) return null;
      const events = await db.prisma.bounceEvent.findMany({ where: { listId: listPk, addressKey: m.addressKey }, orderBy: { id: "desc" }, take: limit });
      return {
        address: m.address, deliveryStatus: m.deliveryStatus ?? "enabled", bounceScore: m.bounceScore,
        lastBounceReceived: m.lastBounceReceived?.toISOString() ?? null, lastWarningSent: m.lastWarningSent?.toISOString() ?? null,
        totalWarningsSent: m.totalWarningsSent,
        events: events.map((e) => ({ kind: e.kind, context: e.context, reason: e.reason, messageId: e.messageId, processed: e.processed, createdAt: e.createdAt.toISOString() })),
      };
    },
  };
}

export type BounceService = ReturnType<typeof createBounceService>;
