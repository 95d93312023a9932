// Turns a list-post job into delivery chunk jobs with ONE statement that also
// completes the list-post job (queue/transitions.ts fanOut, given the roster query
// below): the roster never passes through this process, and a crash either leaves
// the post unexpanded (it runs again) or fully expanded (never twice). Recipients:
// members (role member) whose delivery status, resolved through their address and
// user, is enabled, minus `exclude`. Bulk chunks hold up
// to maxRecipientsPerTransaction recipients of one domain; domains with few members are packed together in domain order (Mailman's
// bulk chunkify groups by top-level domain for the same reason). Personalised chunks
// are one SMTP transaction per member, so they ignore domains. Called by handler.ts.
// A small list skips the list-post job: outJobsQuery gives the list stage's finishing
// transaction the chunk jobs themselves when the roster fits one chunk (handler.ts
// hands it to the list stage through workers.ts).
import type { Database } from "../db/client.js";
import { Prisma, type Job } from "../generated/prisma/client.js";
import type { ListPostDelivery } from "../domain/out-job.js";
import type { PostRowColumns } from "../queue/jobs.js";
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

/** What a post's chunks are made from: the roster query's inputs. */
interface ChunkSource {
  listPk: number;
  post: Pick<ListPostDelivery, "exclude" | "personalize">;
  /** The job the chunks come from: the list-post job, or the list job that expanded them itself (chunk data's `parent`). */
  parent: bigint;
  /** When the post entered delivery (the retry deadline counts from it). */
  postedAt: Date;
}

/** The roster query's inputs as SQL expressions: parameters, or columns of the caller's rows (outJobsOfRow). */
interface ChunkExprs {
  listPk: Prisma.Sql; // int
  exclude: Prisma.Sql; // text[], lower-case
  personalize: Prisma.Sql; // text
  parent: Prisma.Sql; // text
  postedAt: Prisma.Sql; // text
}

function paramsOf(src: ChunkSource): ChunkExprs {
  return {
    listPk: Prisma.sql`${src.listPk}::int`, exclude: Prisma.sql`${src.post.exclude.map((a) => a.toLowerCase())}::text[]`,
    personalize: Prisma.sql`${src.post.personalize}::text`, parent: Prisma.sql`${String(src.parent)}::text`,
    postedAt: Prisma.sql`${src.postedAt.toISOString()}::text`,
  };
}

/** One row per chunk: (recipient = its first domain, data = the chunk job's data). */
function chunksQuery(x: ChunkExprs, opts: ExpandOptions): Prisma.Sql {
  return Prisma.sql`
    WITH r AS (
      SELECT m.address, coalesce(nullif(m."displayName", ''), nullif(a."displayName", ''), u."displayName", '') AS name,
             m."addressKey" AS key, split_part(m."addressKey", '@', 2) AS domain
      FROM "Member" m JOIN "Address" a ON a.id = m."addressId" LEFT JOIN "User" u ON u.id = a."userId"
      WHERE m."listId" = ${x.listPk} AND m.role = 'member'
        -- delivery_status resolved member, address, user, system (domain/preferences.ts)
        AND coalesce(m."deliveryStatus", a."deliveryStatus", u."deliveryStatus", 'enabled') = 'enabled'
        AND m."addressKey" <> ALL(${x.exclude})
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
             'kind', 'chunk', 'parent', ${x.parent}, 'list', ${x.listPk},
             'verp', ${opts.verp}::boolean, 'personalize', ${x.personalize}, 'postedAt', ${x.postedAt},
             'rcpt', jsonb_agg(address ORDER BY domain, key),
             'names', CASE WHEN ${opts.verp}::boolean THEN jsonb_agg(name ORDER BY domain, key) END)) AS data
    FROM c GROUP BY grp, chunk`;
}

/** outJobsQuery over expressions; `post` is the list-post job's data (jsonb). */
function outJobsOf(x: ChunkExprs, post: Prisma.Sql, opts: ExpandOptions): Prisma.Sql {
  const small = Prisma.sql`(SELECT count(*) <= ${opts.chunkSize}::int FROM (
      SELECT 1 FROM "Member" WHERE "listId" = ${x.listPk} AND role = 'member' LIMIT ${opts.chunkSize + 1}::int) AS m)`;
  // A WHERE on an uncorrelated sub-select is a one-time filter: the branch not taken is not run.
  return Prisma.sql`
    SELECT recipient, data FROM (${chunksQuery(x, opts)}) AS chunks WHERE ${small}
    UNION ALL
    SELECT NULL::text, ${post} WHERE NOT ${small}`;
}

/**
 * The "out" jobs one list post becomes, as a query of (recipient, data) rows for the
 * list stage's finishing statement (queue/jobs.ts enqueueQuery): when the list's
 * members number at most one chunk's worth (counted with a LIMIT, so a big roster is
 * not read), the post's chunk jobs themselves; else the one list-post job that
 * expandListPost fans out later. The small case saves a job hop: a job row, a claim
 * and a commit per post. The roster is read in the list stage's transaction, so the
 * chunks hold exactly the members of the moment the post was accepted.
 */
export function outJobsQuery(listPk: number, post: ListPostDelivery, parent: bigint, opts: ExpandOptions): Prisma.Sql {
  return outJobsOf(paramsOf({ listPk, post, parent, postedAt: new Date() }), Prisma.sql`${JSON.stringify(post)}::jsonb`, opts);
}

/**
 * outJobsQuery for a statement that finishes several posts of one list (the list
 * stage's batch finish, a LATERAL per post row): the list's values are parameters
 * and the post's are columns, so that the statement's text is the same for every
 * batch (one prepared statement).
 */
export function outJobsOfRow(listPk: number, personalize: ListPostDelivery["personalize"], row: PostRowColumns, opts: ExpandOptions): Prisma.Sql {
  return outJobsOf({
    listPk: Prisma.sql`${listPk}::int`, exclude: row.exclude, personalize: Prisma.sql`${personalize}::text`,
    parent: row.parent, postedAt: Prisma.sql`${new Date().toISOString()}::text`,
  }, row.post, opts);
}

/** Chunk sizes for a post: per-member copies (VERP) for a personalised list or with a public URL (one-click unsubscribe). */
export function expandOptionsFor(
  smtp: { maxRecipientsPerTransaction: number; personalizedChunkSize: number }, publicUrl: string | null,
  personalize: ListPostDelivery["personalize"], ownChunkMin?: number,
): ExpandOptions {
  const verp = personalize !== "none" || publicUrl !== null;
  return {
    verp,
    chunkSize: verp ? smtp.personalizedChunkSize : smtp.maxRecipientsPerTransaction,
    ownChunkMin: ownChunkMin ?? Math.max(1, Math.floor(smtp.maxRecipientsPerTransaction / 10)),
  };
}

export async function expandListPost(db: Database, job: Job, post: ListPostDelivery, listPk: number, opts: ExpandOptions): Promise<Expansion> {
  const chunks = chunksQuery(paramsOf({ listPk, post, parent: job.id, postedAt: job.createdAt }), opts);
  const tally = Prisma.sql`jsonb_build_object('chunks', count(*)::int, 'recipients', coalesce(sum(jsonb_array_length(data->'rcpt')), 0)::int)`;
  // One statement outside a transaction: committed when it returns, so this process's
  // own workers are woken in memory (no NOTIFY commit when this process runs "out").
  const made = await fanOut(db.prisma, job, "out", chunks, tally, "after-commit");
  made.wake();
  return { expanded: made.owned, chunks: Number(made.tally.chunks ?? 0), recipients: Number(made.tally.recipients ?? 0) };
}
