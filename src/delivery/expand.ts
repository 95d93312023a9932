// Turns a list-post job into delivery chunk jobs with ONE statement that also
// completes the list-post job (queue/transitions.ts fanOut, given the roster query
// below): the roster never passes through this process, and a crash either leaves
// the post unexpanded (it runs again) or fully expanded (never twice). Recipients:
// members (role member) whose delivery status, resolved through their address and
// user, is enabled, minus `exclude`. Bulk chunks hold up
// to maxRecipientsPerTransaction recipients of one domain; domains with few members are packed together in domain order (Mailman's
// bulk chunkify groups by top-level domain for the same reason). Personalised chunks
// are one SMTP transaction per member, so they ignore domains. Called by handler.ts.
import type { Database } from "../db/client.js";
import { Prisma, type Job } from "../generated/prisma/client.js";
import type { ListPostDelivery } from "../domain/out-job.js";
import { fanOut } from "../queue/transitions.js";

export interface ExpandOptions {
  /** Per-member copies with VERP (list.personalize != none, or a public URL for one-click unsubscribe). */
  verp: boolean;
  /** Recipients per chunk. */
  chunkSize: number;
  /** Bulk mode: a domain with at least this many recipients gets chunks of its own. */
  ownChunkMin: number;
}

export interface Expansion {
  /** False when another worker took the job over (its lease ran out) or it was already done. */
  expanded: boolean;
  chunks: number;
  recipients: number;
}

export async function expandListPost(db: Database, job: Job, post: ListPostDelivery, listPk: number, opts: ExpandOptions): Promise<Expansion> {
  const exclude = post.exclude.map((a) => a.toLowerCase());
  const postedAt = job.createdAt.toISOString();
  // One row per chunk: (recipient = its first domain, data = the chunk job's data).
  const chunks = Prisma.sql`
    WITH r AS (
      SELECT m.address, coalesce(nullif(m."displayName", ''), nullif(a."displayName", ''), u."displayName", '') AS name,
             m."addressKey" AS key, split_part(m."addressKey", '@', 2) AS domain
      FROM "Member" m JOIN "Address" a ON a.id = m."addressId" LEFT JOIN "User" u ON u.id = a."userId"
      WHERE m."listId" = ${listPk} AND m.role = 'member'
        -- delivery_status resolved member, address, user, system (domain/preferences.ts)
        AND coalesce(m."deliveryStatus", a."deliveryStatus", u."deliveryStatus", 'enabled') = 'enabled'
        AND m."addressKey" <> ALL(${exclude}::text[])
    ), g AS (
      SELECT r.*, CASE WHEN ${opts.verp}::boolean THEN ''
                       WHEN count(*) OVER (PARTITION BY domain) >= ${opts.ownChunkMin}::int THEN domain
                       ELSE '' END AS grp
      FROM r
    ), c AS (
      SELECT g.*, (row_number() OVER (PARTITION BY grp ORDER BY domain, key) - 1) / ${opts.chunkSize}::int AS chunk
      FROM g
    )
    SELECT min(domain) AS recipient,
           jsonb_strip_nulls(jsonb_build_object(
             'kind', 'chunk', 'parent', ${String(job.id)}::text, 'list', ${listPk}::int,
             'verp', ${opts.verp}::boolean, 'personalize', ${post.personalize}::text, 'postedAt', ${postedAt}::text,
             'rcpt', jsonb_agg(address ORDER BY domain, key),
             'names', CASE WHEN ${opts.verp}::boolean THEN jsonb_agg(name ORDER BY domain, key) END)) AS data
    FROM c GROUP BY grp, chunk`;
  const tally = Prisma.sql`jsonb_build_object('chunks', count(*)::int, 'recipients', coalesce(sum(jsonb_array_length(data->'rcpt')), 0)::int)`;
  // One statement outside a transaction: committed when it returns, so this process's
  // own workers are woken in memory (no NOTIFY commit when this process runs "out").
  const made = await fanOut(db.prisma, job, "out", chunks, tally, "after-commit");
  made.wake();
  return { expanded: made.owned, chunks: Number(made.tally.chunks ?? 0), recipients: Number(made.tally.recipients ?? 0) };
}
