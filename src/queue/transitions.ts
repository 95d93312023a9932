// Every change of a claimed job's state: done, back to ready (a retry), shunt, and
// done-with-children (fan-out). The queue is the only writer of these transitions, and
// each one is fenced by the same rule (OWNED below), so a worker that lost its claim
// can never settle the work of the worker that has it now. A stage that must do its
// own writes in the same round trip hands its SQL to transition() or fanOut() here.
// Callers: runner.ts (complete, retry, shunt, heartbeat), pipeline/list-queue.ts
// (complete inside its transaction), pipeline/list-finisher.ts (completeTogether),
// group-transition.ts (transitionMany, for delivery/settle.ts), delivery/expand.ts (fanOut), delivery/settle.ts
// (transition with bounce events), and services/incoming.ts, whose LMTP ingest
// statement takes its job rows from enqueueWithMessagesSql.
import type { Database, Tx } from "../db/client.js";
import { Prisma, type Job, type Message, type QueueName } from "../generated/prisma/client.js";
import { JOBS_CHANNEL, QUEUES, runsHere, wakeLocal, WORKER_ID, type ClaimedJob, type WakeMode } from "./jobs.js";
import { runPrepared } from "./prepared.js";

export { runsHere, wakeLocal };

/**
 * The claim a worker holds: a job's id and its attempt number at claim time. Every
 * claim bumps attempts, so a worker whose lease ran out (and whose job was claimed
 * again) holds a stale number. The worker id is matched too: a deferral resets
 * attempts (Next), so the number alone could come round again.
 */
export type Claim = Pick<Job, "id" | "attempts">;

/** THE fencing rule: the job is still running under this claim, in this process. */
function owned(c: Claim): Prisma.Sql {
  return Prisma.sql`id = ${c.id}::bigint AND state = 'running' AND attempts = ${c.attempts}::int AND "lockedBy" = ${WORKER_ID}::text`;
}

/** Where a claimed job goes next. */
export type Next =
  | { state: "done"; data?: object }
  | {
    state: "ready";
    delaySeconds: number;
    /** Kept for operators (GET /queues, the row); null clears it. */
    error: string | null;
    data?: object;
    /**
     * A deferral, not a failure (a chunk waiting for the MTA): the attempts count,
     * which shunts a job whose workers keep dying, starts again.
     */
    deferred?: boolean;
  }
  | { state: "shunt"; error: string };

const MAX_ERROR = 2000;

function setClause(next: Next): Prisma.Sql {
  const data = "data" in next && next.data ? Prisma.sql`, data = ${JSON.stringify(next.data)}::jsonb` : Prisma.empty;
  switch (next.state) {
    case "done":
      return Prisma.sql`state = 'done', "finishedAt" = now(), "lockedAt" = NULL, "lockedBy" = NULL${data}`;
    case "shunt":
      return Prisma.sql`state = 'shunt', "finishedAt" = now(), "lockedAt" = NULL, "lockedBy" = NULL,
        "lastError" = ${next.error.slice(0, MAX_ERROR)}::text`;
    case "ready":
      return Prisma.sql`state = 'ready', "lockedAt" = NULL, "lockedBy" = NULL,
        "runAt" = now() + make_interval(secs => ${Math.max(0, next.delaySeconds)}::double precision),
        "lastError" = ${next.error?.slice(0, MAX_ERROR) ?? null}::text${next.deferred ? Prisma.sql`, attempts = 0` : Prisma.empty}${data}`;
  }
}

/**
 * Moves a claimed job to `next` in ONE statement, if the claim still holds.
 * `alongside` is a data-modifying statement run in the same statement (and so the
 * same commit); it may read the CTE `settled` (the job's id, empty when the claim was
 * lost), so its writes happen only with the transition. A job put back to ready at
 * once wakes the workers at commit. Resolves true when the claim held.
 */
export async function transition(tx: Tx, c: Claim, next: Next, alongside?: Prisma.Sql): Promise<boolean> {
  const [row] = await tx.$queryRaw<{ settled: bigint }[]>`
    WITH settled AS (
      UPDATE "Job" SET ${setClause(next)} WHERE ${owned(c)}
      RETURNING id, queue, state, "runAt"
    ), alongside AS (${alongside ?? Prisma.sql`SELECT 1`}), woken AS (
      SELECT pg_notify(${JOBS_CHANNEL}, queue::text) FROM settled WHERE state = 'ready' AND "runAt" <= now()
    )
    SELECT (SELECT count(*) FROM settled) AS settled, (SELECT count(*) FROM woken) AS woken`;
  return Number(row?.settled ?? 0) > 0;
}

/**
 * Moves several claimed jobs on in ONE statement (one round trip, one commit), each to
 * its own `next` and each only if its own claim still holds: transition()'s UPDATE
 * and fence, with each job's values taken from arrays, so that the text is the same
 * for any batch: a prepared statement on the job queue's connections (db.jobQuery),
 * planned once per connection. Resolves, per job in order, whether its claim held.
 * Used by the group commit of group-transition.ts (delivery's settles).
 */
export async function transitionMany(db: Database, items: readonly { claim: Claim; next: Next }[]): Promise<boolean[]> {
  if (items.length === 0) return [];
  const col = <T>(f: (it: { claim: Claim; next: Next }) => T) => items.map(f);
  const rows = await db.jobQuery<{ id: string }>("mailroom_transition_many", TRANSITION_MANY_SQL, [
    col((it) => it.claim.id), col((it) => it.claim.attempts), WORKER_ID, col((it) => it.next.state),
    col((it) => it.next.state === "ready" ? Math.max(0, it.next.delaySeconds) : 0),
    col((it) => it.next.state === "done" ? null : it.next.error?.slice(0, MAX_ERROR) ?? null),
    col((it) => it.next.state === "ready" && it.next.deferred === true),
    col((it) => "data" in it.next && it.next.data ? JSON.stringify(it.next.data) : null),
    JOBS_CHANNEL,
  ]);
  const held = new Set(rows.map((r) => String(r.id)));
  return items.map((it) => held.has(String(it.claim.id)));
}

// setClause() per row: done and shunt set finishedAt; ready sets runAt and lastError
// (null clears it) and, for a deferral, attempts = 0; shunt sets lastError; data is
// replaced when given. The fence is owned()'s, per row: a plain join let the generic
// plan read the jobs through the state index, every running job and the dead entries
// left by finished ones (4,300 rows returned per post in bench/traffic.ts, against
// 400). The row is locked by its id alone and the fence checked outside the locking
// subquery (the locked row is the latest version, so the check is the same): with
// the state in the lookup, a generic plan made on a small table read it through the
// partial index of live jobs (queue, runAt, id), all of it, for every job (a settle
// 19 ms and ~1,000 buffers with 200,000 deferred jobs, against 0.03 ms by the key).
// LIMIT 1 (the id is unique) keeps PostgreSQL from moving the checks into the
// subquery, which it does with the conditions on a subquery without one.
/** Exported for the plan test (test/queue/generic-plans.test.ts). */
export const TRANSITION_MANY_SQL = `
    WITH input AS (
      SELECT * FROM unnest($1::bigint[], $2::int[], $4::"JobState"[], $5::double precision[], $6::text[], $7::boolean[], $8::text[])
        AS i (id, attempts, state, delay, error, deferred, data)
    ), held AS MATERIALIZED (
      SELECT i.* FROM input i CROSS JOIN LATERAL (
        SELECT state, attempts, "lockedBy" FROM "Job" WHERE id = i.id LIMIT 1 FOR UPDATE) AS j
      WHERE j.state = 'running' AND j.attempts = i.attempts AND j."lockedBy" = $3::text
    ), settled AS (
      UPDATE "Job" j SET state = h.state, "lockedAt" = NULL, "lockedBy" = NULL,
        "finishedAt" = CASE WHEN h.state IN ('done', 'shunt') THEN now() ELSE j."finishedAt" END,
        "runAt" = CASE WHEN h.state = 'ready' THEN now() + make_interval(secs => h.delay) ELSE j."runAt" END,
        "lastError" = CASE WHEN h.state = 'done' THEN j."lastError" ELSE h.error END,
        attempts = CASE WHEN h.deferred THEN 0 ELSE j.attempts END,
        data = coalesce(h.data::jsonb, j.data)
      FROM held h WHERE j.id = h.id
      RETURNING j.id, j.queue, j.state, j."runAt"
    ), woken AS (
      SELECT pg_notify($9::text, queue::text) FROM settled WHERE state = 'ready' AND "runAt" <= now()
    )
    SELECT id, (SELECT count(*) FROM woken) AS woken FROM settled`;

/** Marks a running job done. Idempotent: a handler may complete it inside its own transaction first. */
export function complete(tx: Tx, c: Claim): Promise<boolean> {
  return transition(tx, c, { state: "done" });
}

/** Back to ready after `delaySeconds`, keeping the error for operators. */
export function retryLater(tx: Tx, c: Claim, error: string, delaySeconds: number, data?: object): Promise<boolean> {
  return transition(tx, c, { state: "ready", delaySeconds, error, ...(data ? { data } : {}) });
}

/** Failed for good: kept, visible in GET /queues, never dropped (Mailman's shunt queue). */
export function shunt(tx: Tx, c: Claim, error: string): Promise<boolean> {
  return transition(tx, c, { state: "shunt", error });
}

/** Keeps a long job's lease alive (fan-out to a big list). */
export async function heartbeat(tx: Tx, c: Claim): Promise<void> {
  await tx.$executeRaw`UPDATE "Job" SET "lockedAt" = now() WHERE ${owned(c)}`;
}

/** What a fan-out made: whether the claim held, the `tally` over the children, and how to wake this process's workers of their queue (after commit). */
export interface FanOut { owned: boolean; tally: Record<string, unknown>; wake: () => void }

/**
 * Completes a claimed job and inserts its children in ONE statement (one round
 * trip, atomic): a crash leaves the parent unexpanded (it runs again) or fully
 * expanded, never twice. `children` is a query giving (recipient text, data jsonb)
 * per child job of `queue`, with the parent's message and list; `tally` a jsonb
 * aggregate over the inserted children's `data`, merged into the parent's data and
 * returned. Nothing is inserted when the claim was lost. `mode` as enqueue's (jobs.ts):
 * with `after-commit`, a queue this process runs gets no NOTIFY and the caller calls
 * the returned `wake` once committed (at once when `tx` is not a transaction).
 */
export async function fanOut(
  tx: Tx, parent: Claim & Pick<Job, "messageId" | "listId">, queue: QueueName, children: Prisma.Sql, tally: Prisma.Sql,
  mode: WakeMode = "notify",
): Promise<FanOut> {
  const local = mode === "after-commit" && runsHere(queue);
  const [row] = await tx.$queryRaw<{ owned: bigint; tally: Record<string, unknown> | null }[]>`
    WITH parent AS MATERIALIZED (
      SELECT id FROM "Job" WHERE ${owned(parent)} FOR UPDATE
    ), ins AS (
      INSERT INTO "Job" (queue, "messageId", "listId", recipient, data)
      SELECT ${queue}::"QueueName", ${parent.messageId}::bigint, ${parent.listId}::text, c.recipient, c.data
      FROM (${children}) AS c WHERE EXISTS (SELECT 1 FROM parent)
      RETURNING data
    ), t AS (
      SELECT ${tally} AS tally FROM ins
    ), fin AS (
      UPDATE "Job" SET state = 'done', "finishedAt" = now(), "lockedAt" = NULL, "lockedBy" = NULL,
        data = data || (SELECT tally FROM t)
      WHERE id IN (SELECT id FROM parent)
      RETURNING id
    ), woken AS (
      SELECT pg_notify(${JOBS_CHANNEL}, ${queue}::text) FROM fin WHERE NOT ${local}::boolean AND EXISTS (SELECT 1 FROM ins)
    )
    SELECT (SELECT count(*) FROM fin) AS owned, (SELECT tally FROM t) AS tally, (SELECT count(*) FROM woken) AS woken`;
  const isOwned = Number(row?.owned ?? 0) > 0;
  return { owned: isOwned, tally: isOwned ? row?.tally ?? {} : {}, wake: () => { if (local && isOwned) wakeLocal(queue); } };
}

/**
 * Completes every one of `claims` together with the caller's writes, in ONE statement,
 * only if every claim still holds AND the caller's `gate` wrote its row: otherwise
 * nothing at all is written and it resolves false. The list stage finishes a batch of
 * posts this way (pipeline/list-finisher.ts): one round trip and one commit for all.
 *   - The claimed jobs are locked first (FOR UPDATE); the CTE `held` is one row whose
 *     `ok` says every claim holds. `gate` is a data-modifying statement that must read
 *     it (`… AND (SELECT ok FROM held) RETURNING …`): the one write the rest depends
 *     on (the list's post number), taken after the job rows.
 *   - `alongside` is text of further CTEs ("name AS (…), …"), each gated by reading
 *     the CTE `settled` (the completed jobs' ids; empty when anything failed).
 *   - `reads`: an expression the final SELECT computes and the call resolves with:
 *     what the caller wants back of its CTEs, and the CTEs of `alongside` that write
 *     nothing (a NOTIFY), which PostgreSQL runs only when read.
 */
export async function completeTogether<R = unknown>(
  db: Database, claims: readonly Claim[], gate: Prisma.Sql, alongside: Prisma.Sql, reads: Prisma.Sql = Prisma.sql`NULL`,
): Promise<{ ok: boolean; reads: R }> {
  if (claims.length === 0) return { ok: false, reads: null as R };
  // Prepared (runPrepared): planning this statement at every batch cost the server
  // three times its execution.
  const [row] = await runPrepared<{ settled: string; reads: R }>(db, completeTogetherSql(claims, gate, alongside, reads));
  return { ok: Number(row?.settled ?? 0) === claims.length, reads: row?.reads as R };
}

/**
 * completeTogether's statement (apart for the plan test, test/queue/generic-plans.test.ts).
 * The claims are arrays, so that its text is the caller's for any batch; owned()'s
 * fence is checked per job, on the row locked by its primary key alone (as
 * transitionMany's, for the same reasons, LIMIT 1 included).
 */
export function completeTogetherSql(claims: readonly Claim[], gate: Prisma.Sql, alongside: Prisma.Sql, reads: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    WITH owned AS MATERIALIZED (
      SELECT j.id FROM unnest(${claims.map((c) => c.id)}::bigint[], ${claims.map((c) => c.attempts)}::int[]) AS c (id, attempts)
      CROSS JOIN LATERAL (SELECT id, state, attempts, "lockedBy" FROM "Job" WHERE id = c.id LIMIT 1 FOR UPDATE) AS j
      WHERE j.state = 'running' AND j.attempts = c.attempts AND j."lockedBy" = ${WORKER_ID}::text
    ), held AS MATERIALIZED (
      SELECT count(*) = ${claims.length}::int AS ok FROM owned
    ), gate AS (${gate}), settled AS (
      UPDATE "Job" SET ${setClause({ state: "done" })}
      WHERE id IN (SELECT id FROM owned) AND (SELECT ok FROM held) AND EXISTS (SELECT 1 FROM gate)
      RETURNING id
    ), ${alongside}
    SELECT (SELECT count(*) FROM settled) AS settled, ${reads} AS reads`;
}

/**
 * SQL text for a statement that stores messages and their jobs together (LMTP
 * ingest: one round trip for a whole batch). The jobs are the rows enqueue() writes;
 * `jobs` is the parameter holding a jsonb array of {i, queue, listId, recipient,
 * data, claimedBy?} (claimedBy: WORKER_ID, for a job inserted claimed by this process
 * into a slot its worker set aside, jobs.ts reserveLocal), joined by `i` to `ids`, a
 * CTE of (ord, id) giving the message id of each position; `channel` is the parameter holding JOBS_CHANNEL, `local` the one holding
 * the queues this process runs (text[], localQueues()), which get no NOTIFY: the
 * caller wakes them after the commit (wakeLocal), as the stages do (jobs.ts). The text
 * defines the CTEs `queued` (the job rows) and `woken` (one NOTIFY per other queue at
 * commit); the caller's final SELECT must read `woken`, or PostgreSQL skips it.
 */
export function enqueueWithMessagesSql(jobs: string, ids: string, channel: string, local: string): string {
  return `queued AS (
      INSERT INTO "Job" (queue, "messageId", "listId", recipient, data, state, attempts, "lockedAt", "lockedBy")
      SELECT (x->>'queue')::"QueueName", ${ids}.id, x->>'listId', x->>'recipient', x->'data',
        CASE WHEN x ? 'claimedBy' THEN 'running' ELSE 'ready' END::"JobState",
        CASE WHEN x ? 'claimedBy' THEN 1 ELSE 0 END, CASE WHEN x ? 'claimedBy' THEN clock_timestamp() END, x->>'claimedBy'
      FROM jsonb_array_elements(${jobs}::jsonb) AS x JOIN ${ids} ON ${ids}.ord = (x->>'i')::int
      RETURNING id, queue, state, "messageId", "listId", recipient, data, "runAt", "createdAt", "lockedAt"
    ), woken AS (
      SELECT count(*) AS n FROM (SELECT pg_notify(${channel}, q::text) FROM (SELECT DISTINCT queue AS q FROM queued) AS qs
        WHERE q::text <> ALL(${local}::text[])) AS w
    )`;
}

/** The queues this process runs itself, for enqueueWithMessagesSql's `local`. */
export function localQueues(): QueueName[] {
  return QUEUES.filter(runsHere);
}

/**
 * CTEs for a statement that inserts jobs of `queue` from `rows`, a query giving
 * (message_id bigint, recipient text, data jsonb), all of list `listId`: the CTE
 * `enqueued` (one row per job, for handedRowsSql) and `enqueue_woken` (the caller's
 * final SELECT must read it, or PostgreSQL skips it), a NOTIFY at commit unless
 * `local` (this process runs the queue and wakes its workers itself after the commit:
 * jobs.ts). The first `handed` rows are inserted claimed by this process (slots of its
 * own worker set aside, jobs.ts reserveLocal), as claim() leaves a job, their lease
 * counted from the insert (clock_timestamp(): the statement may have waited for the
 * list's row lock before); the rest ready. `handed` is a parameter, so the text is
 * the same for any number. The list stage's batch finish uses it
 * (pipeline/list-finisher.ts).
 */
export function enqueueRowsSql(queue: QueueName, listId: string, rows: Prisma.Sql, local: boolean, handed: number): Prisma.Sql {
  return Prisma.sql`enqueued AS (
      INSERT INTO "Job" (queue, "messageId", "listId", recipient, data, state, attempts, "lockedAt", "lockedBy")
      SELECT ${queue}::"QueueName", r.message_id, ${listId}::text, r.recipient, r.data,
        CASE WHEN r.n <= ${handed}::int THEN 'running' ELSE 'ready' END::"JobState",
        CASE WHEN r.n <= ${handed}::int THEN 1 ELSE 0 END,
        CASE WHEN r.n <= ${handed}::int THEN clock_timestamp() END,
        CASE WHEN r.n <= ${handed}::int THEN ${WORKER_ID}::text END
      FROM (SELECT r.*, row_number() OVER () AS n FROM (${rows}) AS r) AS r
      RETURNING id, queue, state, "messageId", "listId", recipient, data, "runAt", "createdAt", "lockedAt"
    ), enqueue_woken AS (
      SELECT pg_notify(${JOBS_CHANNEL}, ${queue}::text) WHERE NOT ${local}::boolean AND EXISTS (SELECT 1 FROM enqueued)
    )`;
}

/**
 * The jobs of `rows` (the CTE `enqueued` or `queued`) that were inserted claimed, as a
 * json array of HandedRow, each with the position (`ord`) of its message in `ids`.
 */
export function handedRowsSql(rows: string, ids: string): string {
  return `(SELECT coalesce(json_agg(json_build_object('ord', ${ids}.ord, 'id', h.id::text, 'queue', h.queue,
      'messageId', h."messageId"::text, 'listId', h."listId", 'recipient', h.recipient, 'data', h.data,
      'runAt', h."runAt", 'createdAt', h."createdAt", 'lockedAt', h."lockedAt")), '[]'::json)
    FROM ${rows} h JOIN ${ids} ON ${ids}.id = h."messageId" WHERE h.state = 'running')`;
}

/** A job inserted claimed by this process, as handedRowsSql gives it. */
export interface HandedRow {
  ord: number; id: string; queue: QueueName; messageId: string; listId: string | null; recipient: string | null;
  data: Prisma.JsonValue; runAt: string; createdAt: string; lockedAt: string;
}

/** What a handed job's Message row holds that the caller has in memory (the row's id, size and time come with the job). */
export type HandedMessage = Pick<Message, "messageId" | "messageIdHash" | "mailFrom" | "rcptTo"> & { raw: Buffer };

/**
 * The job a handed row is, as claim() would have returned it (attempt 1, locked by
 * this process), with its message from memory when it is at most `messageBytes`
 * (else null: the handler reads it), as the claim's `messageBytes` does.
 */
export function handedJob(r: HandedRow, m: HandedMessage, messageBytes: number): ClaimedJob {
  return {
    id: BigInt(r.id), queue: r.queue, state: "running", messageId: BigInt(r.messageId), listId: r.listId, recipient: r.recipient,
    data: r.data, attempts: 1, runAt: new Date(r.runAt), lockedAt: new Date(r.lockedAt), lockedBy: WORKER_ID, lastError: null,
    createdAt: new Date(r.createdAt), finishedAt: null,
    message: m.raw.length > messageBytes ? null : {
      id: BigInt(r.messageId), messageId: m.messageId, messageIdHash: m.messageIdHash, mailFrom: m.mailFrom, rcptTo: m.rcptTo,
      size: m.raw.length, raw: m.raw as Uint8Array<ArrayBuffer>, receivedAt: new Date(r.createdAt),
    },
  };
}
