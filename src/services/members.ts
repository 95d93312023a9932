// Members of a list in one of four roles (member, owner, moderator, nonmember), as in
// Mailman's roster: add, bulk add, page through, read, change preferences, remove.
// Addresses compare case-insensitively as a whole; the spelling of the first add is
// kept for display. Called by api/members; the subscription workflows
// (subscriptions.ts) add and remove their Member rows themselves.
import { Prisma, type Member, type Role } from "../generated/prisma/client.js";
import { parseAddress, requireAddress } from "../domain/address.js";
import { conflict, notFound } from "../domain/errors.js";
import { databaseFailure } from "./database-failure.js";
import type { ServiceDeps } from "./deps.js";
import type { ListService } from "./lists.js";
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from "./pagination.js";

export type { Role };
export type MemberPreferences = Partial<Pick<Member,
  "displayName" | "deliveryStatus" | "moderationAction" | "receiveOwnPostings" | "receiveListCopy">>;

export interface NewMember extends MemberPreferences {
  address: string;
  role?: Role;
}

export interface MemberView {
  address: string;
  displayName: string;
  role: Role;
  listId: string;
  deliveryStatus: Member["deliveryStatus"];
  moderationAction: Member["moderationAction"];
  receiveOwnPostings: boolean;
  receiveListCopy: boolean;
  bounceScore: number;
  createdAt: string;
}

export interface BulkResult {
  created: number;
  existing: number;
  invalid: { address: string; reason: string }[];
}

export interface MemberQuery extends PageRequest {
  role?: Role;
}

export function memberView(m: Member, listId: string): MemberView {
  return {
    address: m.address, displayName: m.displayName, role: m.role, listId,
    deliveryStatus: m.deliveryStatus, moderationAction: m.moderationAction,
    receiveOwnPostings: m.receiveOwnPostings, receiveListCopy: m.receiveListCopy,
    bounceScore: m.bounceScore, createdAt: m.createdAt.toISOString(),
  };
}

/** Settable member columns, with the PostgreSQL enum type a value must be cast to (null: none). */
const PREFERENCE_TYPES: Record<keyof MemberPreferences, string | null> = {
  displayName: null, deliveryStatus: "DeliveryStatus", moderationAction: "Action", receiveOwnPostings: null, receiveListCopy: null,
};
/** The list was deleted (by another process) after we looked it up: its members' foreign key fails. */
const isListGone = (err: unknown) => databaseFailure(err) === "missing-reference";

export function createMemberService({ db }: ServiceDeps, lists: ListService) {
  /** A path's address that is not an address names no member: 404, not 400. */
  function keyOrNotFound(raw: string, listId: string): string {
    const a = parseAddress(raw);
    if (!a) throw notFound(`${raw} is not a member of ${listId}`);
    return a.key;
  }

  async function requireMember(listRef: string, rawAddress: string, role: Role) {
    const list = await lists.lookup(listRef);
    const addressKey = keyOrNotFound(rawAddress, list.listId);
    const m = await db.prisma.member.findUnique({ where: { listId_role_addressKey: { listId: list.id, role, addressKey } } });
    if (!m) throw notFound(`${rawAddress.trim()} is not a ${role} of ${list.listId}`);
    return { list, member: m };
  }

  return {
    async add(listRef: string, input: NewMember): Promise<MemberView> {
      const { address: raw, role = "member", ...prefs } = input;
      const a = requireAddress(raw);
      const list = await lists.lookup(listRef);
      const columns = ['"listId"', '"address"', '"addressKey"', '"role"'];
      const values = [Prisma.sql`${list.id}`, Prisma.sql`${a.address}`, Prisma.sql`${a.key}`, Prisma.sql`${role}::"Role"`];
      for (const [key, value] of Object.entries(prefs)) {
        if (value === undefined || !Object.hasOwn(PREFERENCE_TYPES, key)) continue;
        const type = PREFERENCE_TYPES[key as keyof MemberPreferences];
        columns.push(`"${key}"`);
        values.push(type ? Prisma.sql`${value}::${Prisma.raw(`"${type}"`)}` : Prisma.sql`${value}`);
      }
      // One statement; ON CONFLICT turns "already there" into zero rows instead of an aborted statement.
      let rows: Member[];
      try {
        rows = await db.prisma.$queryRaw<Member[]>`
          INSERT INTO "Member" (${Prisma.raw(columns.join(", "))}) VALUES (${Prisma.join(values)})
          ON CONFLICT ("listId", "role", "addressKey") DO NOTHING
          RETURNING *`;
      } catch (err) {
        if (isListGone(err)) throw notFound(`list ${listRef} does not exist`);
        throw err;
      }
      if (!rows[0]) throw conflict(`${a.address} is already a ${role} of ${list.listId}`);
      return memberView(rows[0], list.listId);
    },

    /**
     * Adds many addresses in one statement (INSERT … SELECT FROM unnest … ON CONFLICT
     * DO NOTHING): 10,000 members cost one round trip, not 10,000. Invalid addresses are
     * reported, not fatal; an address already present (or repeated in the input) counts as existing.
     */
    async bulkAdd(listRef: string, items: { address: string; displayName?: string }[], role: Role = "member"): Promise<BulkResult> {
      const list = await lists.lookup(listRef);
      const invalid: BulkResult["invalid"] = [];
      const seen = new Set<string>();
      const addresses: string[] = [];
      const keys: string[] = [];
      const names: string[] = [];
      let repeated = 0;
      for (const item of items) {
        const a = parseAddress(item.address);
        if (!a) {
          invalid.push({ address: item.address, reason: "not a valid email address" });
          continue;
        }
        if (seen.has(a.key)) {
          repeated++;
          continue;
        }
        seen.add(a.key);
        addresses.push(a.address);
        keys.push(a.key);
        names.push(item.displayName ?? "");
      }
      let created = 0;
      if (keys.length > 0) {
        try {
          created = await db.prisma.$executeRaw`
            INSERT INTO "Member" ("listId", "address", "addressKey", "displayName", "role")
            SELECT ${list.id}, t.address, t.key, t.name, ${role}::"Role"
            FROM unnest(${addresses}::text[], ${keys}::text[], ${names}::text[]) AS t(address, key, name)
            ON CONFLICT ("listId", "role", "addressKey") DO NOTHING`;
        } catch (err) {
          if (isListGone(err)) throw notFound(`list ${listRef} does not exist`);
          throw err;
        }
      }
      return { created, existing: keys.length - created + repeated, invalid };
    },

    async list(listRef: string, query: MemberQuery): Promise<Page<MemberView>> {
      const list = await lists.lookup(listRef);
      const limit = pageLimit(query.limit);
      const after = decodeCursor(query.cursor);
      const where: Prisma.MemberWhereInput = { listId: list.id, ...(query.role ? { role: query.role } : {}) };
      const [rows, total] = await Promise.all([
        db.prisma.member.findMany({ where: { ...where, id: { gt: after } }, orderBy: { id: "asc" }, take: limit + 1 }),
        db.prisma.member.count({ where }),
      ]);
      return toPage(rows, limit, total, (m) => memberView(m, list.listId));
    },

    async get(listRef: string, address: string, role: Role = "member"): Promise<MemberView> {
      const { list, member } = await requireMember(listRef, address, role);
      return memberView(member, list.listId);
    },

    async update(listRef: string, address: string, role: Role, patch: MemberPreferences): Promise<MemberView> {
      const { list, member } = await requireMember(listRef, address, role);
      const m = await db.prisma.member.update({ where: { id: member.id }, data: patch });
      return memberView(m, list.listId);
    },

    async remove(listRef: string, address: string, role: Role = "member"): Promise<void> {
      const { member } = await requireMember(listRef, address, role);
      await db.prisma.member.delete({ where: { id: member.id } });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
