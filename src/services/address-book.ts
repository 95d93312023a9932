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
 * verified (an administrator's add or a confirmed request). Returns key → Address id,
 * unless `ids` is false (a bulk add joins by address itself).
 */
export async function ensureAddresses(db: Database | Tx, items: AddressInput[], verified: boolean, ids = true): Promise<Map<string, number>> {
  const c = client(db);
  if (items.length === 0) return new Map();
  const keys = items.map((i) => i.key);
  // New addresses come with their User in one statement: the Address rows take their
  // userId from User's sequence, and a User is made for each row actually inserted
  // (an address a concurrent add inserted first leaves a gap in the sequence, not an
  // orphan User). Foreign keys are checked at the statement's end.
  await c.$executeRaw`
    WITH input AS (
      SELECT DISTINCT ON (t.key) t.key, t.address, t.name
        FROM unnest(${items.map((i) => i.address)}::text[], ${keys}::text[], ${items.map((i) => i.name)}::text[]) AS t(address, key, name)
    ), inserted AS (
      INSERT INTO "Address" (email, "originalEmail", "displayName", "verifiedOn", "userId")
      SELECT i.key, i.address, i.name, CASE WHEN ${verified}::boolean THEN now() END, nextval(pg_get_serial_sequence('"User"', 'id'))::int
        FROM input i WHERE NOT EXISTS (SELECT 1 FROM "Address" a WHERE a.email = i.key)
      ON CONFLICT (email) DO NOTHING
      RETURNING "userId", "displayName"
    )
    INSERT INTO "User" (id, "displayName") SELECT "userId", "displayName" FROM inserted`;
  if (verified) {
    await c.$executeRaw`UPDATE "Address" SET "verifiedOn" = now() WHERE email = ANY(${keys}::text[]) AND "verifiedOn" IS NULL`;
  }
  // An address known before without a User (made before Users were) gets one the same
  // way: the UPDATE draws the id only for the rows it links. No join: a plan made on a
  // fresh, unanalysed table joined a CTE of the picked rows to Address by a scan per
  // row (10,000 addresses: 9 s).
  await c.$executeRaw`
    WITH linked AS (
      UPDATE "Address" SET "userId" = nextval(pg_get_serial_sequence('"User"', 'id'))::int
       WHERE email = ANY(${keys}::text[]) AND "userId" IS NULL
      RETURNING "userId", "displayName"
    )
    INSERT INTO "User" (id, "displayName") SELECT "userId", "displayName" FROM linked`;
  if (!ids) return new Map();
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
