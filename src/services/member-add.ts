// The single add (POST /lists/{list}/members, and the Mailman face's adds of another
// role or of a user) as ONE statement: it finds the list, reads the bans that could
// match, upserts the Address (and a User for an address without one, as
// address-book.ts does for many), inserts the Member and returns it with its
// preferences resolved. As seven Prisma queries (list, bans, four for the address
// book, member, view) an add cost ~300/s where ~1,700/s had been the rate before the
// address book. Called by members.ts, which turns the outcome into the answer.
//
// Concurrent adds of one address: the Address upsert (ON CONFLICT DO UPDATE) waits
// for the other add's row and then works on it, so there is one Address; a User id is
// drawn only when the address had no user in this statement's snapshot and used only
// if the upsert linked it (the loser of a race leaves a gap in the sequence, not a
// second User); the Member insert's ON CONFLICT DO NOTHING makes a concurrent
// duplicate zero rows (409), never a unique violation.
import type { Role } from "../generated/prisma/client.js";
import { PREFERENCE_NAMES, type PreferenceLevel } from "../domain/preferences.js";
import type { Database } from "../db/client.js";
import { semaphorePer } from "../domain/semaphore.js";
import { MEMBER_COLUMNS, RESOLVED_PREFERENCES_SQL, type ResolvedMember } from "../db/member-lookup.js";
import type { MemberPreferences } from "./members.js";

export interface AddRequest {
  listId: string;
  address: string;
  key: string;
  role: Role;
  prefs: MemberPreferences;
  /** Subscribe this user (User.id); null: the address. */
  userPk: number | null;
  /** Stamp the address verified if it is not. */
  verified: boolean;
  /** False when the bans that could match were read and none does (the second run). */
  checkBans: boolean;
}

export type AddOutcome =
  | { kind: "added"; listId: string; member: ResolvedMember; own: PreferenceLevel }
  | { kind: "exists"; listId: string }
  | { kind: "no-list" }
  /** Nothing was written: these bans (exact hits and every ^pattern) may match; domain/ban.ts decides. */
  | { kind: "ban-candidates"; listId: string; bans: string[] };

/** The member's own preference columns and their PostgreSQL types, $10 onwards. */
const PREFERENCE_TYPES: Record<keyof PreferenceLevel, string> = {
  deliveryMode: '"DeliveryMode"', deliveryStatus: '"DeliveryStatus"', receiveOwnPostings: "boolean",
  receiveListCopy: "boolean", acknowledgePosts: "boolean", hideAddress: "boolean", preferredLanguage: "text",
};
const PREF_COLUMNS = PREFERENCE_NAMES.map((n) => `"${n}"`).join(", ");
const PREF_VALUES = PREFERENCE_NAMES.map((n, i) => `$${10 + i}::${PREFERENCE_TYPES[n]}`).join(", ");
const OWN_PREFERENCES = PREFERENCE_NAMES.map((n) => `m."${n}" AS "own_${n}"`).join(", ");

// $1 list id, $2 check bans, $3 key, $4 address as given, $5 display name, $6 verified,
// $7 user pk, $8 role, $9 moderation action, $10… the member's preferences (null: not set).
// Ban candidates are exact hits and every pattern; while there are any, nothing is
// written. The final SELECT is one row whenever the list exists; its member columns
// are null when the member was not inserted (a duplicate or a ban candidate).
// Foreign keys are checked at the end of the statement, when the new User is there.
const SQL = `
WITH l AS (
  SELECT id, "listId" FROM "MailingList" WHERE "listId" = $1
), h AS (
  SELECT coalesce(array_agg(b.email), '{}'::text[]) AS bans FROM "Ban" b
   WHERE $2::boolean AND (b."listId" = (SELECT id FROM l) OR b."listId" IS NULL)
     AND (b.email = $3 OR b.email = $4 OR b.email LIKE '^%')
), ok AS (
  SELECT l.id FROM l, h WHERE cardinality(h.bans) = 0
), uid AS (
  SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM "Address" WHERE email = $3 AND "userId" IS NOT NULL)
              THEN nextval(pg_get_serial_sequence('"User"', 'id'))::int END AS id
    FROM ok
), a AS (
  INSERT INTO "Address" AS x (email, "originalEmail", "displayName", "verifiedOn", "userId")
  SELECT $3, $4, $5, CASE WHEN $6::boolean THEN now() END, uid.id FROM uid
  ON CONFLICT (email) DO UPDATE
     SET "verifiedOn" = coalesce(x."verifiedOn", excluded."verifiedOn"), "userId" = coalesce(x."userId", excluded."userId")
  RETURNING x.*
), nu AS (
  INSERT INTO "User" (id, "displayName") SELECT a."userId", a."displayName" FROM a JOIN uid ON uid.id = a."userId"
), m AS (
  INSERT INTO "Member" ("listId", "addressId", "userId", address, "addressKey", role, "displayName", "moderationAction", ${PREF_COLUMNS})
  SELECT ok.id, a.id, $7::int, $4, $3, $8::"Role", $5, $9::"Action", ${PREF_VALUES} FROM ok, a
  ON CONFLICT ("listId", role, "addressKey") DO NOTHING
  RETURNING *
)
SELECT l."listId" AS "listRef", h.bans, ${MEMBER_COLUMNS}, ${RESOLVED_PREFERENCES_SQL}, ${OWN_PREFERENCES}
  FROM l CROSS JOIN h
  LEFT JOIN (m JOIN a ON a.id = m."addressId" LEFT JOIN "User" u ON u.id = a."userId") ON true`;

type Row = ResolvedMember & { listRef: string; bans: string[] } & Record<`own_${keyof PreferenceLevel}`, unknown>;

/**
 * Adds of this process in flight at once, per database. Adds to one list take turns on
 * its row (the member count's trigger, migration member_count) through each commit;
 * more of them in flight only wait in PostgreSQL's lock queue, where every waiter
 * costs the server CPU each time the lock moves on. With the server pool's 20 in
 * flight an add cost the database ~2 ms of CPU and `bench/rest.ts --only add` took
 * ~650 adds/s; with 4, 0.6 ms and ~1,390/s (5 December). Waiting here costs nothing.
 */
const ADDS_AT_ONCE = 4;
const addSlots = semaphorePer<Database>(() => ADDS_AT_ONCE);

export async function addMemberRow(db: Database, r: AddRequest): Promise<AddOutcome> {
  const p = r.prefs;
  const release = await addSlots(db).acquire();
  let rows: Row[];
  try {
    rows = await db.statement<Row>("mailroom_member_add", SQL, [
      r.listId, r.checkBans, r.key, r.address, p.displayName ?? "", r.verified, r.userPk, r.role, p.moderationAction ?? null,
      ...PREFERENCE_NAMES.map((n) => p[n] ?? null),
    ]);
  } finally {
    release();
  }
  const [row] = rows;
  if (!row) return { kind: "no-list" };
  if (row.bans.length > 0) return { kind: "ban-candidates", listId: row.listRef, bans: row.bans };
  if (row.id === null) return { kind: "exists", listId: row.listRef };
  const own = Object.fromEntries(PREFERENCE_NAMES.map((n) => [n, row[`own_${n}`]])) as PreferenceLevel;
  return { kind: "added", listId: row.listRef, member: row, own };
}
