// Members of a list in one of four roles (member, owner, moderator, nonmember), as in
// Mailman's roster: add, bulk add, page through, read, change preferences, remove.
// Addresses compare case-insensitively as a whole; the spelling of the first add is
// kept for display. Called by api/members; the subscription workflows
// (subscriptions.ts) add and remove their Member rows themselves.
import { Prisma, type Member, type Role } from "../generated/prisma/client.js";
import { parseAddress, requireAddress } from "../domain/address.js";
import { conflict, invalid, notFound } from "../domain/errors.js";
import { ownPreferences, PREFERENCE_NAMES, type Preferences, type PreferenceLevel } from "../domain/preferences.js";
import { membersByIds, type ResolvedMember } from "../db/member-lookup.js";
import { ensureAddresses } from "./address-book.js";
import { addMemberRow, type AddOutcome, type AddRequest } from "./member-add.js";
import { bansFor } from "../db/bans.js";
import { isBanned } from "../domain/ban.js";
import { databaseFailure } from "./database-failure.js";
import type { ServiceDeps } from "./deps.js";
import { listIdFromRef, type ListService } from "./lists.js";
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from "./pagination.js";

export type { Role };
/** What a member row sets itself: display name, moderation action and member-level preferences (null: inherit). */
export type MemberPreferences = Partial<Pick<Member, "displayName" | "moderationAction"> & PreferenceLevel>;

export interface NewMember extends MemberPreferences {
  address: string;
  role?: Role;
}

/** How a subscription is made beyond the native API's admin add (the Mailman face's options). */
export interface AddOptions {
  /** Subscribe this user (rows User.id): the membership follows its preferred address, `address`. */
  userPk?: number;
  /** Stamp the address verified (an administrator vouches); default true. */
  verified?: boolean;
}

export interface MemberView extends Preferences {
  address: string;
  displayName: string;
  role: Role;
  listId: string;
  moderationAction: Member["moderationAction"];
  bounceScore: number;
  createdAt: string;
  /** Preferences this membership sets itself; the others come from the address, its user or the system. */
  ownPreferences: Partial<Preferences>;
}

export interface BulkResult {
  created: number;
  existing: number;
  invalid: { address: string; reason: string }[];
}

export interface MemberQuery extends PageRequest {
  role?: Role;
}

/** `m` has its preferences resolved; `own` is the member row's own settings. */
export function memberView(m: ResolvedMember, listId: string, own: Partial<PreferenceLevel>): MemberView {
  const prefs = Object.fromEntries(PREFERENCE_NAMES.map((n) => [n, m[n]])) as unknown as Preferences;
  return {
    address: m.address, displayName: m.displayName, role: m.role, listId, ...prefs,
    moderationAction: m.moderationAction, bounceScore: m.bounceScore, createdAt: new Date(m.createdAt).toISOString(),
    ownPreferences: ownPreferences(own),
  };
}

/** Views of member rows by id, preferences resolved in one query. */
export async function viewsOf(db: ServiceDeps["db"], rows: Member[], listId: string): Promise<Map<number, MemberView>> {
  const resolved = await membersByIds(db, rows.map((r) => r.id));
  const own = new Map(rows.map((r) => [r.id, r]));
  return new Map(resolved.map((m) => [m.id, memberView(m, listId, own.get(m.id)!)]));
}

async function viewOf(db: ServiceDeps["db"], row: Member, listId: string): Promise<MemberView> {
  const v = (await viewsOf(db, [row], listId)).get(row.id);
  if (!v) throw notFound(`${row.address} is no longer a ${row.role} of ${listId}`);
  return v;
}
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
    /**
     * One statement (member-add.ts), two when pattern bans exist: they are read by
     * the first, matched here (domain/ban.ts, JavaScript regular expressions as Mailman's
     * Python ones), and the add runs again without them when none matches.
     */
    async add(listRef: string, input: NewMember, opts: AddOptions = {}): Promise<MemberView & { id: number }> {
      const { address: raw, role = "member", ...prefs } = input;
      const a = requireAddress(raw);
      const listId = listIdFromRef(listRef);
      if (!listId) throw notFound(`list ${listRef} does not exist`);
      const request: AddRequest = {
        listId, address: a.address, key: a.key, role, prefs, userPk: opts.userPk ?? null, verified: opts.verified ?? true, checkBans: true,
      };
      let out: AddOutcome;
      try {
        out = await addMemberRow(db, request);
        if (out.kind === "ban-candidates") {
          if (isBanned(out.bans, a.address)) throw invalid(`${a.address} is banned from ${out.listId}`);
          out = await addMemberRow(db, { ...request, checkBans: false });
        }
      } catch (err) {
        if (isListGone(err)) throw notFound(`list ${listRef} does not exist`);
        throw err;
      }
      switch (out.kind) {
        case "added": return { ...memberView(out.member, out.listId, out.own), id: out.member.id };
        case "exists": throw conflict(`${a.address} is already a ${role} of ${out.listId}`);
        default: throw notFound(`list ${listRef} does not exist`);
      }
    },

    /**
     * Adds many addresses in one statement (INSERT … SELECT FROM unnest … ON CONFLICT
     * DO NOTHING): 10,000 members cost one round trip, not 10,000. Invalid addresses are
     * reported, not fatal; an address already present (or repeated in the input) counts as existing.
     */
    async bulkAdd(listRef: string, items: { address: string; displayName?: string }[], role: Role = "member"): Promise<BulkResult> {
      const list = await lists.lookup(listRef);
      const bans = await bansFor(db, list.id);
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
        if (isBanned(bans, a.key)) {
          invalid.push({ address: item.address, reason: "banned" });
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
          await ensureAddresses(db, addresses.map((address, i) => ({ address, key: keys[i]!, name: names[i]! })), true, false);
          created = await db.prisma.$executeRaw`
            INSERT INTO "Member" ("listId", "addressId", "address", "addressKey", "displayName", "role")
            SELECT ${list.id}, a.id, t.address, t.key, t.name, ${role}::"Role"
            FROM unnest(${addresses}::text[], ${keys}::text[], ${names}::text[]) AS t(address, key, name)
            JOIN "Address" a ON a.email = t.key
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
      const views = await viewsOf(db, rows, list.listId);
      const page = toPage(rows, limit, total, (m) => views.get(m.id));
      return { ...page, items: page.items.filter((v): v is MemberView => v !== undefined) };
    },

    async get(listRef: string, address: string, role: Role = "member"): Promise<MemberView> {
      const { list, member } = await requireMember(listRef, address, role);
      return viewOf(db, member, list.listId);
    },

    async update(listRef: string, address: string, role: Role, patch: MemberPreferences): Promise<MemberView> {
      const { list, member } = await requireMember(listRef, address, role);
      const m = await db.prisma.member.update({ where: { id: member.id }, data: patch });
      return viewOf(db, m, list.listId);
    },

    async remove(listRef: string, address: string, role: Role = "member"): Promise<void> {
      const { member } = await requireMember(listRef, address, role);
      await db.prisma.member.delete({ where: { id: member.id } });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
