// Bans (Mailman's IBanManager): per list, or global when no list is given; an exact
// address or a `^pattern` (domain/ban.ts). Subscriptions call refuseBanned; the
// pipeline's banned-address rule reads the same rows (db/bans.ts).
import type { MailingList } from "../generated/prisma/client.js";
import { isBanned, normaliseBan } from "../domain/ban.js";
import { conflict, invalid, notFound } from "../domain/errors.js";
import { bansFor } from "../db/bans.js";
import type { Database, Tx } from "../db/client.js";
import type { ServiceDeps } from "./deps.js";
import type { ListService } from "./lists.js";
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from "./pagination.js";

export interface BanView {
  email: string;
  /** The list's id, or null for a global ban. */
  listId: string | null;
  createdAt: string;
}

/** 400 when the address is banned from the list or globally (Mailman's MembershipIsBannedError). */
export async function refuseBanned(db: Database | Tx, list: Pick<MailingList, "id" | "listId">, address: string): Promise<void> {
  if (isBanned(await bansFor(db, list.id), address)) throw invalid(`${address} is banned from ${list.listId}`);
}

export function createBanService({ db }: ServiceDeps, lists: ListService) {
  /** The list's primary key and id, or null for the global bans. */
  async function scope(listRef: string | null): Promise<{ id: number; listId: string } | null> {
    if (listRef === null) return null;
    const l = await lists.lookup(listRef);
    return { id: l.id, listId: l.listId };
  }
  const view = (b: { email: string; createdAt: Date }, s: { listId: string } | null): BanView =>
    ({ email: b.email, listId: s?.listId ?? null, createdAt: b.createdAt.toISOString() });

  return {
    async list(listRef: string | null, query: PageRequest): Promise<Page<BanView>> {
      const s = await scope(listRef);
      const limit = pageLimit(query.limit);
      const where = { listId: s?.id ?? null };
      const [rows, total] = await Promise.all([
        db.prisma.ban.findMany({ where: { ...where, id: { gt: decodeCursor(query.cursor) } }, orderBy: { id: "asc" }, take: limit + 1 }),
        db.prisma.ban.count({ where }),
      ]);
      return toPage(rows, limit, total, (b) => view(b, s));
    },

    /** 409 when the same ban exists. */
    async add(listRef: string | null, email: string): Promise<BanView> {
      const s = await scope(listRef);
      const ban = normaliseBan(email);
      const existing = await db.prisma.ban.findFirst({ where: { listId: s?.id ?? null, email: ban } });
      if (existing) throw conflict(`${ban} is already banned${s ? ` from ${s.listId}` : " globally"}`);
      return view(await db.prisma.ban.create({ data: { listId: s?.id ?? null, email: ban } }), s);
    },

    /** This exact ban (not whether an address is matched by some pattern). */
    async get(listRef: string | null, email: string): Promise<BanView> {
      const s = await scope(listRef);
      const b = await db.prisma.ban.findFirst({ where: { listId: s?.id ?? null, email: normaliseBanOrKey(email) } });
      if (!b) throw notFound(`${email} is not banned${s ? ` from ${s.listId}` : " globally"}`);
      return view(b, s);
    },

    async remove(listRef: string | null, email: string): Promise<void> {
      const s = await scope(listRef);
      const gone = await db.prisma.ban.deleteMany({ where: { listId: s?.id ?? null, email: normaliseBanOrKey(email) } });
      if (gone.count === 0) throw notFound(`${email} is not banned${s ? ` from ${s.listId}` : " globally"}`);
    },

    /** Whether the address is banned from the list (its own bans and the global ones), or globally when listRef is null. */
    async isBanned(listRef: string | null, address: string): Promise<boolean> {
      const s = await scope(listRef);
      const rows = s ? await bansFor(db, s.id) : (await db.prisma.ban.findMany({ where: { listId: null }, select: { email: true } })).map((b) => b.email);
      return isBanned(rows, address);
    },
  };
}

/** A path segment names a ban as stored; an invalid pattern names none (404, not 400). */
function normaliseBanOrKey(raw: string): string {
  try { return normaliseBan(raw); } catch { return raw; }
}

export type BanService = ReturnType<typeof createBanService>;
