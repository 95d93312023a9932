// Memberships across lists, as Mailman's member resources see them: by member id,
// found by list / subscriber / role, a list's roster a page at a time (page N costs
// an index-only skip, not N pages of joins), with preferences resolved and the
// subscriber's user. Called by the Mailman face (api/mailman/members.ts, roster).
import { Prisma, type Role } from "../generated/prisma/client.js";
import { parseAddress } from "../domain/address.js";
import type { Preferences } from "../domain/preferences.js";
import { RESOLVED_PREFERENCES_SQL } from "../db/member-lookup.js";
import type { ServiceDeps } from "./deps.js";
import { parseUserId } from "./users.js";

export interface MembershipRecord extends Preferences {
  id: number;
  listId: string;
  role: Role;
  /** The address mail goes to (the subscribed one, or the user's preferred address). */
  address: string;
  email: string;
  /** Subscribed as the user (Mailman's subscription_mode as_user) rather than as the address. */
  asUser: boolean;
  /** The uid of the subscriber's user (the address's user for address subscriptions), or null. */
  userUid: string | null;
  displayName: string;
  moderationAction: string | null;
  bounceScore: number;
  lastBounceReceived: Date | null;
  lastWarningSent: Date | null;
  totalWarningsSent: number;
}

export interface MembershipQuery { listPk?: number; subscriber?: string; role?: Role }

const SELECT = `
  SELECT m.id, l."listId", m.role, m.address, m."addressKey" AS email, m."userId" IS NOT NULL AS "asUser", u.uid::text AS "userUid",
         coalesce(nullif(m."displayName", ''), nullif(a."displayName", ''), u."displayName", '') AS "displayName",
         m."moderationAction", m."bounceScore", m."lastBounceReceived", m."lastWarningSent", m."totalWarningsSent",
         ${RESOLVED_PREFERENCES_SQL}
    FROM "Member" m JOIN "MailingList" l ON l.id = m."listId" JOIN "Address" a ON a.id = m."addressId"
    LEFT JOIN "User" u ON u.id = a."userId"`;

/** Every STRIDE-th member id of a roster is remembered, so page N skips at most STRIDE index entries. */
const STRIDE = 250;
/** How long remembered positions are used while the roster's size stays the same. */
const BOUNDARY_TTL_MS = 60_000;

export function createMembershipService({ db }: ServiceDeps) {
  // (list, member count) -> ids at positions 0, STRIDE, 2*STRIDE, … A roster change that
  // keeps the count shifts positions exactly as it would between two OFFSET page reads.
  const boundaries = new Map<string, { ids: number[]; at: number }>();

  async function boundaryIds(listPk: number, total: number): Promise<number[]> {
    const key = `${listPk}:${total}`;
    const hit = boundaries.get(key);
    if (hit && Date.now() - hit.at < BOUNDARY_TTL_MS) return hit.ids;
    const rows = await db.prisma.$queryRaw<{ id: number }[]>`
      SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM "Member"
                       WHERE "listId" = ${listPk} AND role = 'member') x
       WHERE rn % ${STRIDE} = 0 ORDER BY id`;
    if (boundaries.size > 1000) boundaries.clear();
    for (const k of boundaries.keys()) if (k.startsWith(`${listPk}:`)) boundaries.delete(k);
    const ids = rows.map((r) => r.id);
    boundaries.set(key, { ids, at: Date.now() });
    return ids;
  }

  /** The WHERE clause for a query; null when the subscriber names nobody (so nothing matches). */
  async function where(q: MembershipQuery): Promise<Prisma.Sql | null> {
    const parts: Prisma.Sql[] = [];
    if (q.listPk !== undefined) parts.push(Prisma.sql`m."listId" = ${q.listPk}`);
    if (q.role) parts.push(Prisma.sql`m.role = ${q.role}::"Role"`);
    if (q.subscriber !== undefined) {
      const uid = parseUserId(q.subscriber);
      if (uid) {
        const u = await db.prisma.user.findUnique({ where: { uid }, select: { id: true } });
        if (!u) return null;
        parts.push(Prisma.sql`(m."userId" = ${u.id} OR a."userId" = ${u.id})`);
      } else if (q.subscriber.includes("*") || q.subscriber.includes("%")) {
        // Mailman's find accepts a partial address (SQL LIKE after * → %).
        parts.push(Prisma.sql`m."addressKey" LIKE ${q.subscriber.toLowerCase().replaceAll("*", "%")}`);
      } else {
        const a = parseAddress(q.subscriber);
        parts.push(Prisma.sql`m."addressKey" = ${a?.key ?? q.subscriber.toLowerCase()}`);
      }
    }
    return parts.length ? Prisma.sql`WHERE ${Prisma.join(parts, " AND ")}` : Prisma.empty;
  }

  return {
    async byId(id: number): Promise<MembershipRecord | null> {
      const rows = await db.prisma.$queryRaw<MembershipRecord[]>`${Prisma.raw(SELECT)} WHERE m.id = ${id}`;
      return rows[0] ?? null;
    },

    /**
     * A page of matching memberships in id order, and the total. The page's ids are
     * picked first on the Member indexes alone (list, role, id) and only those rows
     * are joined, so a deep page costs an index skip rather than joins for every row before it.
     */
    async find(q: MembershipQuery, offset: number, limit: number | null, knownTotal?: number): Promise<{ total: number; items: MembershipRecord[] }> {
      const w = await where(q);
      if (w === null) return { total: 0, items: [] };
      const needsJoin = q.subscriber !== undefined;
      const from = needsJoin ? Prisma.sql`"Member" m JOIN "Address" a ON a.id = m."addressId"` : Prisma.sql`"Member" m`;
      const [countRow] = knownTotal !== undefined ? [{ n: BigInt(knownTotal) }]
        : await db.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM ${from} ${w}`;
      // A deep page of a member roster starts from a remembered position (keyset), not from the first row.
      let start = Prisma.empty;
      let skip = offset;
      if (knownTotal !== undefined && q.role === "member" && q.listPk !== undefined && !needsJoin && offset >= STRIDE && offset < knownTotal) {
        const ids = await boundaryIds(q.listPk, knownTotal);
        const b = Math.min(Math.floor(offset / STRIDE), ids.length - 1);
        if (b > 0) {
          start = Prisma.sql`AND m.id >= ${ids[b]!}`;
          skip = offset - b * STRIDE;
        }
      }
      const items = await db.prisma.$queryRaw<MembershipRecord[]>`
        WITH page AS (SELECT m.id FROM ${from} ${w} ${start} ORDER BY m.id OFFSET ${skip} LIMIT ${limit ?? 1_000_000_000})
        ${Prisma.raw(SELECT)} WHERE m.id IN (SELECT id FROM page) ORDER BY m.id`;
      return { total: Number(countRow?.n ?? 0), items };
    },

    /** A member row's own preference settings. */
    async ownPreferences(id: number) {
      return db.prisma.member.findUnique({ where: { id } });
    },

    async setPreferences(id: number, patch: Partial<{ [K in keyof Preferences]: Preferences[K] | null }>): Promise<void> {
      await db.prisma.member.update({ where: { id }, data: patch });
    },

    async setModerationAction(id: number, action: string | null): Promise<void> {
      await db.prisma.member.update({ where: { id }, data: { moderationAction: action as never } });
    },
  };
}

export type MembershipService = ReturnType<typeof createMembershipService>;
