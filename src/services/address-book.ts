// Address and User rows behind every subscription: a member row points at the
// Address it delivers to, and an address that is subscribed gets a User (Mailman's
// subscription workflow makes one for an address that has none: app/subscriptions.py
// _step_sanity_checks). Set-based SQL so that a bulk add of 50,000 costs a few
// statements. Called by members.ts and subscriptions.ts inside their transactions.
import type { Database, Tx } from "../db/client.js";

export interface AddressInput { address: string; key: string; name: string }

const client = (db: Database | Tx) => ("prisma" in db ? db.prisma : db);

/**
 * Makes sure each address has an Address row (spelling and name of the first time
 * it was seen) and a User; `verified` stamps verifiedOn on addresses not yet
 * verified (an administrator's add or a confirmed request). Returns key → Address id.
 */
export async function ensureAddresses(db: Database | Tx, items: AddressInput[], verified: boolean): Promise<Map<string, number>> {
  const c = client(db);
  if (items.length === 0) return new Map();
  const keys = items.map((i) => i.key);
  await c.$executeRaw`
    INSERT INTO "Address" (email, "originalEmail", "displayName", "verifiedOn")
    SELECT DISTINCT ON (t.key) t.key, t.address, t.name, CASE WHEN ${verified}::boolean THEN now() END
      FROM unnest(${items.map((i) => i.address)}::text[], ${keys}::text[], ${items.map((i) => i.name)}::text[]) AS t(address, key, name)
    ON CONFLICT (email) DO NOTHING`;
  if (verified) {
    await c.$executeRaw`UPDATE "Address" SET "verifiedOn" = now() WHERE email = ANY(${keys}::text[]) AND "verifiedOn" IS NULL`;
  }
  // A User for each address without one, linked in the same statement: the ids are
  // drawn from User's sequence first, and a User is made only for the addresses the
  // UPDATE linked (a concurrent add that linked one first leaves a gap in the
  // sequence, not an orphan User). Foreign keys are checked at the statement's end.
  await c.$executeRaw`
    WITH pick AS (
      SELECT a.id AS aid, nextval(pg_get_serial_sequence('"User"', 'id'))::int AS uid
        FROM "Address" a WHERE a.email = ANY(${keys}::text[]) AND a."userId" IS NULL
    ), linked AS (
      UPDATE "Address" a SET "userId" = pick.uid FROM pick WHERE a.id = pick.aid AND a."userId" IS NULL
      RETURNING a."userId" AS uid, a."displayName" AS name
    )
    INSERT INTO "User" (id, "displayName") SELECT uid, name FROM linked`;
  const rows = await c.$queryRaw<{ id: number; email: string }[]>`
    SELECT id, email FROM "Address" WHERE email = ANY(${keys}::text[])`;
  return new Map(rows.map((r) => [r.email, r.id]));
}

/** Keeps members subscribed as a user on the user's preferred address (Mailman IMember.address). */
export async function followPreferredAddress(db: Database | Tx, userId: number): Promise<void> {
  await client(db).$executeRaw`
    UPDATE "Member" m SET "addressId" = a.id, address = a."originalEmail", "addressKey" = a.email
      FROM "User" u JOIN "Address" a ON a.id = u."preferredAddressId"
     WHERE u.id = ${userId} AND m."userId" = u.id AND m."addressId" <> a.id`;
}
