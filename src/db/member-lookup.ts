// Member rows with their preferences resolved (member, address, user, system:
// domain/preferences.ts) in SQL, for the pipeline's look-up of a post's senders
// and To/Cc members (pipeline/list-queue.ts) and the member services.
import { Prisma, type Member } from "../generated/prisma/client.js";
import { SYSTEM_PREFERENCES, type Preferences } from "../domain/preferences.js";
import type { Database, Tx } from "./client.js";

export type ResolvedMember = Omit<Member, keyof Preferences> & Preferences;

const TYPES: Record<keyof Preferences, string> = {
  deliveryMode: '"DeliveryMode"', deliveryStatus: '"DeliveryStatus"', receiveOwnPostings: "boolean",
  receiveListCopy: "boolean", acknowledgePosts: "boolean", hideAddress: "boolean", preferredLanguage: "text",
};

/** `coalesce(m.x, a.x, u.x, system)` for every preference, over aliases m (Member), a (Address), u (User). */
export const RESOLVED_PREFERENCES_SQL = Object.entries(TYPES).map(([name, type]) =>
  `coalesce(m."${name}", a."${name}", u."${name}", '${String(SYSTEM_PREFERENCES[name as keyof Preferences])}'::${type}) AS "${name}"`).join(",\n");

/** The member row's columns other than its preferences, over alias m. */
export const MEMBER_COLUMNS = ["id", "listId", "addressId", "userId", "address", "addressKey", "displayName", "role", "moderationAction",
  "bounceScore", "lastBounceReceived", "lastWarningSent", "totalWarningsSent", "createdAt"].map((c) => `m."${c}"`).join(", ");

/** FROM clause joining a member to the address it delivers to and that address's user. */
export const MEMBER_JOINS_SQL = `"Member" m JOIN "Address" a ON a.id = m."addressId" LEFT JOIN "User" u ON u.id = a."userId"`;

export const RESOLVED_MEMBER_SELECT = `SELECT ${MEMBER_COLUMNS}, ${RESOLVED_PREFERENCES_SQL} FROM ${MEMBER_JOINS_SQL}`;

/**
 * Several lookups at once, each a list (by its listId string) and address keys: one
 * statement for the list stage's posts that ask at the same moment
 * (pipeline/list-reads.ts). Resolves the rows of each lookup, in order, by m.id.
 * A prepared statement on the workers' connections (db.jobQuery).
 */
export async function membersOfLookups(db: Database, lookups: readonly { listId: string; keys: readonly string[] }[]): Promise<ResolvedMember[][]> {
  const ord: number[] = [];
  const lists: string[] = [];
  const keys: string[] = [];
  lookups.forEach((l, i) => { for (const k of l.keys) { ord.push(i); lists.push(l.listId); keys.push(k); } });
  const out: ResolvedMember[][] = lookups.map(() => []);
  if (keys.length === 0) return out;
  const rows = await db.jobQuery<ResolvedMember & { ord: number }>("mailroom_members_of_lookups", LOOKUPS_SQL, [ord, lists, keys]);
  for (const { ord: i, ...row } of rows) out[i]!.push(row);
  return out;
}

// A member is looked up by its address key alone, the list checked outside the
// subquery (OFFSET 0 keeps PostgreSQL from merging the two): with both in one join,
// a generic plan made on a small un-analyzed table read the list's whole roster
// through (listId, role, id) for every key (100,000 members, 3 keys: 5,786 buffers,
// 180 ms). An address is on few lists, so its key's index entries are few.
/** Exported for the plan test (test/queue/generic-plans.test.ts). */
export const LOOKUPS_SQL = `SELECT q.ord, ${MEMBER_COLUMNS}, ${RESOLVED_PREFERENCES_SQL}
  FROM unnest($1::int[], $2::text[], $3::text[]) AS q (ord, list, key)
  JOIN "MailingList" l ON l."listId" = q.list
  CROSS JOIN LATERAL (SELECT * FROM "Member" WHERE "addressKey" = q.key OFFSET 0) AS m
  JOIN "Address" a ON a.id = m."addressId" LEFT JOIN "User" u ON u.id = a."userId"
  WHERE m."listId" = l.id
  ORDER BY q.ord, m.id`;

/** Rows by primary key, in the order given. */
export async function membersByIds(db: Database | Tx, ids: number[]): Promise<ResolvedMember[]> {
  if (ids.length === 0) return [];
  const client = "prisma" in db ? db.prisma : db;
  const rows = await client.$queryRaw<ResolvedMember[]>`${Prisma.raw(RESOLVED_MEMBER_SELECT)} WHERE m.id = ANY(${ids}::int[])`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
