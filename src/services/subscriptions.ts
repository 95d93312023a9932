// Subscription workflows as Mailman 3 runs them (app/subscriptions.py): policies open,
// confirm, moderate and confirm_then_moderate; unsubscription open or confirm;
// SubscriptionRequest rows with a random single-use token that expires; confirmation
// by reply, by `confirm TOKEN` or over REST; moderator decisions; welcome and goodbye
// notices. Called by the command queue handler, api/requests (which also serves
// /lists/{list}/subscriptions) and api/unsubscribe. Every step runs in one transaction with the notices it sends.
import { randomBytes } from "node:crypto";
import type { MailingList, SubscriptionRequest } from "../generated/prisma/client.js";
import type { Tx } from "../db/client.js";
import { parseAddress, requireAddress } from "../domain/address.js";
import { invalid, notFound } from "../domain/errors.js";
import { postingAddress, subaddressOf } from "../domain/list-address.js";
import { ensureAddresses } from "./address-book.js";
import { refuseBanned } from "./bans.js";
import type { ServiceDeps } from "./deps.js";
import { requireList } from "./lists.js";
import { administrators, noticeList, recipientLanguage, type NoticeService } from "./notices.js";
import { inTransaction } from "./transaction.js";
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from "./pagination.js";

/** Mailman's pending_request_life: 3 days. */
export const DEFAULT_REQUEST_LIFETIME_MS = 3 * 24 * 3600 * 1000;

export type Outcome =
  | { status: "subscribed" | "unsubscribed"; address: string }
  | { status: "awaiting_confirmation" | "awaiting_moderation"; address: string; token: string }
  | { status: "already_member" | "not_member"; address: string };

export type ModerationAction = "accept" | "discard" | "reject" | "defer";

export interface RequestView {
  token: string;
  listId: string;
  kind: SubscriptionRequest["kind"];
  address: string;
  displayName: string;
  state: SubscriptionRequest["state"];
  createdAt: string;
  expiresAt: string;
}

export interface SubscribeInput {
  address: string;
  displayName?: string;
  /** False: the address is already confirmed (an admin vouches for it); moderation still applies. */
  confirm?: boolean;
}

export interface SubscriptionOptions {
  requestLifetimeMs?: number;
  now?: () => Date;
}


export function requestView(r: SubscriptionRequest, listId: string): RequestView {
  return {
    token: r.token, listId, kind: r.kind, address: r.address, displayName: r.displayName, state: r.state,
    createdAt: r.createdAt.toISOString(), expiresAt: r.expiresAt.toISOString(),
  };
}

/** "Anne <anne@example.com>", or the bare address (Mailman's formataddr for $member). */
const named = (address: string, name: string) => (name ? `${name} <${address}>` : address);

export function createSubscriptionService({ db }: ServiceDeps, notices: NoticeService, opts: SubscriptionOptions = {}) {
  const lifetime = opts.requestLifetimeMs ?? DEFAULT_REQUEST_LIFETIME_MS;
  const now = opts.now ?? (() => new Date());


  async function isMember(tx: Tx, list: MailingList, key: string): Promise<boolean> {
    return !!(await tx.member.findUnique({ where: { listId_role_addressKey: { listId: list.id, role: "member", addressKey: key } }, select: { id: true } }));
  }

  /** A live request, or null (expired ones are deleted on sight: single use, limited life). */
  async function liveRequest(tx: Tx, where: { token: string } | { listId: number; addressKey: string; kind: SubscriptionRequest["kind"] }) {
    const r = "token" in where
      ? await tx.subscriptionRequest.findUnique({ where: { token: where.token } })
      : await tx.subscriptionRequest.findFirst({ where, orderBy: { id: "desc" } });
    if (r && r.expiresAt <= now()) {
      await tx.subscriptionRequest.deleteMany({ where: { id: r.id } });
      return null;
    }
    return r;
  }

  async function newRequest(tx: Tx, list: MailingList, kind: SubscriptionRequest["kind"], address: string, key: string,
    displayName: string, state: SubscriptionRequest["state"]): Promise<SubscriptionRequest> {
    return tx.subscriptionRequest.create({
      data: {
        token: randomBytes(20).toString("hex"), listId: list.id, kind, address, addressKey: key, displayName, state,
        expiresAt: new Date(now().getTime() + lifetime),
      },
    });
  }

  async function sendConfirmation(tx: Tx, list: MailingList, r: SubscriptionRequest): Promise<void> {
    const confirmAt = subaddressOf(list.listName, list.mailHost, "confirm").replace("@", `+${r.token}@`);
    await notices.queue(tx, {
      list: noticeList(list), to: [r.address], replyTo: confirmAt,
      template: r.kind === "subscription" ? "list:user:action:subscribe" : "list:user:action:unsubscribe",
      language: await recipientLanguage(tx, list.id, r.addressKey),
      vars: {
        user_email: r.address, user_address: r.address, user_name: r.displayName || r.address, token: r.token,
        confirm_email: confirmAt, expires: r.expiresAt.toUTCString(),
      },
    });
  }

  async function notifyModerators(tx: Tx, list: MailingList, r: SubscriptionRequest): Promise<void> {
    await notices.queue(tx, {
      list: noticeList(list), to: await administrators(tx, list.id),
      template: r.kind === "subscription" ? "list:admin:action:subscribe" : "list:admin:action:unsubscribe",
      vars: { member: named(r.address, r.displayName), token: r.token },
    });
  }

  /** Mailman's admin_notify_mchanges: the owners hear of every subscription and unsubscription. */
  async function notifyMembershipChange(tx: Tx, list: MailingList, change: "subscribe" | "unsubscribe", address: string, name: string): Promise<void> {
    if (!list.adminNotifyMchanges) return;
    await notices.queue(tx, {
      list: noticeList(list), to: await administrators(tx, list.id),
      template: change === "subscribe" ? "list:admin:notice:subscribe" : "list:admin:notice:unsubscribe",
      vars: { member: named(address, name) },
    });
  }

  /** What Mailman's welcome and goodbye notices get beyond the list's placeholders. */
  const userVars = (list: MailingList, address: string, name: string) => ({
    user_email: address, user_address: address, user_name: name || address,
    fqdn_listname: postingAddress(list), list_name: list.displayName, list_requests: subaddressOf(list.listName, list.mailHost, "request"),
  });

  async function addMember(tx: Tx, list: MailingList, address: string, key: string, displayName: string,
    welcome = list.sendWelcomeMessage): Promise<Outcome> {
    if (await isMember(tx, list, key)) return { status: "already_member", address };
    await refuseBanned(tx, list, address);
    const ids = await ensureAddresses(tx, [{ address, key, name: displayName }], true);
    await tx.member.create({ data: { listId: list.id, role: "member", addressId: ids.get(key)!, address, addressKey: key, displayName } });
    if (welcome) {
      await notices.queue(tx, {
        list: noticeList(list), to: [address], template: "list:user:notice:welcome",
        language: await recipientLanguage(tx, list.id, key), vars: userVars(list, address, displayName),
      });
    }
    await notifyMembershipChange(tx, list, "subscribe", address, displayName);
    return { status: "subscribed", address };
  }

  async function removeMember(tx: Tx, list: MailingList, address: string, key: string, goodbye = true): Promise<Outcome> {
    // The member's own language is read before the row (which may hold it) goes.
    const language = goodbye && list.sendGoodbyeMessage ? await recipientLanguage(tx, list.id, key) : null;
    const removed = await tx.$queryRaw<{ displayName: string }[]>`
      DELETE FROM "Member" WHERE "listId" = ${list.id} AND role = 'member' AND "addressKey" = ${key} RETURNING "displayName"`;
    if (removed.length === 0) return { status: "not_member", address };
    if (goodbye && list.sendGoodbyeMessage) {
      await notices.queue(tx, {
        list: noticeList(list), to: [address], template: "list:user:notice:goodbye", language,
        vars: userVars(list, address, removed[0]!.displayName),
      });
    }
    await notifyMembershipChange(tx, list, "unsubscribe", address, removed[0]!.displayName);
    return { status: "unsubscribed", address };
  }

  /** After confirmation (or when none is needed): moderation if the policy asks for it, else done. */
  async function afterConfirmation(tx: Tx, list: MailingList, r: SubscriptionRequest | null,
    address: string, key: string, displayName: string): Promise<Outcome> {
    const moderated = list.subscriptionPolicy === "moderate" || list.subscriptionPolicy === "confirm_then_moderate";
    if (moderated) {
      const req = r
        ? await tx.subscriptionRequest.update({ where: { id: r.id }, data: { state: "awaiting_moderation", expiresAt: new Date(now().getTime() + lifetime) } })
        : await newRequest(tx, list, "subscription", address, key, displayName, "awaiting_moderation");
      await notifyModerators(tx, list, req);
      return { status: "awaiting_moderation", address, token: req.token };
    }
    if (r) await tx.subscriptionRequest.delete({ where: { id: r.id } });
    return addMember(tx, list, address, key, displayName);
  }

  async function subscribeIn(tx: Tx, list: MailingList, input: SubscribeInput, source: "mail" | "rest"): Promise<Outcome> {
    const a = requireAddress(input.address);
    const displayName = input.displayName ?? "";
    if (await isMember(tx, list, a.key)) return { status: "already_member", address: a.address };
    await refuseBanned(tx, list, a.address);
    const pending = await liveRequest(tx, { listId: list.id, addressKey: a.key, kind: "subscription" });
    if (pending) return { status: pending.state, address: pending.address, token: pending.token };
    // REST's `confirm: true` invites even on an open list; by mail the list's policy decides.
    const wantsConfirmation = source === "rest"
      ? input.confirm !== false
      : list.subscriptionPolicy === "confirm" || list.subscriptionPolicy === "confirm_then_moderate";
    if (wantsConfirmation) {
      const r = await newRequest(tx, list, "subscription", a.address, a.key, displayName, "awaiting_confirmation");
      await sendConfirmation(tx, list, r);
      return { status: "awaiting_confirmation", address: a.address, token: r.token };
    }
    return afterConfirmation(tx, list, null, a.address, a.key, displayName);
  }

  async function unsubscribeIn(tx: Tx, list: MailingList, rawAddress: string, source: "mail" | "rest" | "one-click"): Promise<Outcome> {
    const a = requireAddress(rawAddress);
    if (!(await isMember(tx, list, a.key))) return { status: "not_member", address: a.address };
    // RFC 8058: the one-click POST is the confirmation; REST callers are administrators.
    if (source === "mail" && list.unsubscriptionPolicy === "confirm") {
      const pending = await liveRequest(tx, { listId: list.id, addressKey: a.key, kind: "unsubscription" });
      if (pending) return { status: pending.state, address: pending.address, token: pending.token };
      const r = await newRequest(tx, list, "unsubscription", a.address, a.key, "", "awaiting_confirmation");
      await sendConfirmation(tx, list, r);
      return { status: "awaiting_confirmation", address: a.address, token: r.token };
    }
    return removeMember(tx, list, a.address, a.key);
  }

  async function confirmIn(tx: Tx, list: MailingList | null, token: string): Promise<Outcome> {
    const r = /^[0-9a-f]{40}$/i.test(token) ? await liveRequest(tx, { token: token.toLowerCase() }) : null;
    if (!r || (list && r.listId !== list.id) || r.state !== "awaiting_confirmation") {
      throw notFound("no pending confirmation has that token (it may have been used already or expired)");
    }
    const l = list ?? (await tx.mailingList.findUniqueOrThrow({ where: { id: r.listId } }));
    if (r.kind === "unsubscription") {
      await tx.subscriptionRequest.delete({ where: { id: r.id } });
      return removeMember(tx, l, r.address, r.addressKey);
    }
    return afterConfirmation(tx, l, r, r.address, r.addressKey, r.displayName);
  }

  return {
    subscribe(listRef: string, input: SubscribeInput, source: "mail" | "rest" = "rest"): Promise<Outcome> {
      return inTransaction(db, async (tx) => subscribeIn(tx, await requireList(tx, listRef), input, source));
    },

    unsubscribe(listRef: string, address: string, source: "mail" | "rest" | "one-click" = "rest"): Promise<Outcome> {
      return inTransaction(db, async (tx) => unsubscribeIn(tx, await requireList(tx, listRef), address, source));
    },

    /**
     * An administrator's direct add, as Mailman's REST subscribe with every pre_* flag:
     * a member now, the welcome (`welcome`, default the list's sendWelcomeMessage) and
     * the owners' notice (adminNotifyMchanges) in the same transaction.
     */
    addNow(listRef: string, input: { address: string; displayName?: string }, opts: { welcome?: boolean } = {}): Promise<Outcome> {
      return inTransaction(db, async (tx) => {
        const list = await requireList(tx, listRef);
        const a = requireAddress(input.address);
        return addMember(tx, list, a.address, a.key, input.displayName ?? "", opts.welcome ?? list.sendWelcomeMessage);
      });
    },

    /**
     * An administrator's removal of one membership row (Mailman's REST delete): a
     * member gets the goodbye (sendGoodbyeMessage) and the owners are told
     * (adminNotifyMchanges), in the same transaction; other roles just go.
     */
    removeNow(memberId: number): Promise<Outcome> {
      return inTransaction(db, async (tx) => {
        const row = await tx.member.findUnique({ where: { id: memberId }, select: { listId: true, role: true, address: true, addressKey: true } });
        if (!row) return { status: "not_member" as const, address: "" };
        if (row.role !== "member") {
          await tx.member.deleteMany({ where: { id: memberId } });
          return { status: "unsubscribed" as const, address: row.address };
        }
        const list = await tx.mailingList.findUniqueOrThrow({ where: { id: row.listId } });
        return removeMember(tx, list, row.address, row.addressKey);
      });
    },

    /** Confirms a pending request by its token; `listRef` null: whichever list it belongs to. */
    confirm(listRef: string | null, token: string): Promise<Outcome> {
      return inTransaction(db, async (tx) => confirmIn(tx, listRef ? await requireList(tx, listRef) : null, token));
    },

    async pending(listRef: string, query: PageRequest): Promise<Page<RequestView>> {
      const list = await requireList(db.prisma, listRef);
      const limit = pageLimit(query.limit);
      const after = decodeCursor(query.cursor);
      const where = { listId: list.id, expiresAt: { gt: now() } };
      const [rows, total] = await Promise.all([
        db.prisma.subscriptionRequest.findMany({ where: { ...where, id: { gt: after } }, orderBy: { id: "asc" }, take: limit + 1 }),
        db.prisma.subscriptionRequest.count({ where }),
      ]);
      return toPage(rows, limit, total, (r) => requestView(r, list.listId));
    },

    async get(listRef: string, token: string): Promise<RequestView> {
      const list = await requireList(db.prisma, listRef);
      const r = await db.prisma.subscriptionRequest.findUnique({ where: { token: token.toLowerCase() } });
      if (!r || r.listId !== list.id || r.expiresAt <= now()) throw notFound(`no pending request ${token} on ${list.listId}`);
      return requestView(r, list.listId);
    },

    /**
     * A moderator's decision (Mailman's handle_subscription). `accept` on a request still
     * awaiting confirmation confirms it on the subscriber's behalf (the admin vouches).
     */
    moderate(listRef: string, token: string, action: ModerationAction, reason?: string): Promise<Outcome | { status: "deferred" | "discarded" | "rejected"; address: string }> {
      return inTransaction(db, async (tx) => {
        const list = await requireList(tx, listRef);
        const r = await liveRequest(tx, { token: token.toLowerCase() });
        if (!r || r.listId !== list.id) throw notFound(`no pending request ${token} on ${list.listId}`);
        switch (action) {
          case "defer":
            return { status: "deferred" as const, address: r.address };
          case "discard":
            await tx.subscriptionRequest.delete({ where: { id: r.id } });
            return { status: "discarded" as const, address: r.address };
          case "reject":
            await tx.subscriptionRequest.delete({ where: { id: r.id } });
            await notices.queue(tx, {
              list: noticeList(list), to: [r.address], template: "list:user:notice:refuse",
              language: await recipientLanguage(tx, list.id, r.addressKey),
              vars: {
                user_email: r.address, request: `${r.kind === "subscription" ? "Subscription" : "Unsubscription"} request for ${r.address}`,
                reason: reason?.trim() || "[No reason given]",
              },
            });
            return { status: "rejected" as const, address: r.address };
          case "accept":
            if (r.kind === "unsubscription") {
              await tx.subscriptionRequest.delete({ where: { id: r.id } });
              return removeMember(tx, list, r.address, r.addressKey);
            }
            await tx.subscriptionRequest.delete({ where: { id: r.id } });
            return addMember(tx, list, r.address, r.addressKey, r.displayName);
          default:
            throw invalid(`action must be accept, discard, reject or defer`);
        }
      });
    },

    /** The roster for `who`, or null when `requester` may not see it (memberRosterVisibility). */
    async roster(listRef: string, requester: string): Promise<string[] | null> {
      const list = await requireList(db.prisma, listRef);
      const key = parseAddress(requester)?.key ?? "";
      const roles = (await db.prisma.member.findMany({ where: { listId: list.id, addressKey: key }, select: { role: true } })).map((m) => m.role);
      const allowed = list.memberRosterVisibility === "public"
        || (list.memberRosterVisibility === "members" && roles.length > 0 && !roles.every((r) => r === "nonmember"))
        || roles.includes("owner") || roles.includes("moderator");
      if (!allowed) return null;
      const rows = await db.prisma.member.findMany({ where: { listId: list.id, role: "member" }, select: { address: true }, orderBy: { addressKey: "asc" }, take: 10_000 });
      return rows.map((r) => r.address);
    },
  };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
