// PostgreSQL-backed job queues: the only hand-off between stages (LMTP → "list",
// "command", "bounces" or "owner" → "out" for delivery; "list" → "archive" for HyperKitty). A job is ready, running (claimed with FOR UPDATE SKIP LOCKED, so
// several processes can share one database), done, or shunt (failed for good, with
// the error kept). A claimed job whose worker died is reclaimed after its lease.
// This file makes and claims jobs (enqueue, claim, releaseDeadWorkers, queue depths)
// and wakes this process's own workers in memory (registerLocalWorker, wakeLocal);
// transitions.ts moves a claimed job on and holds the job SQL of LMTP ingest.
import { hostname } from "node:os";
import type { Database, Tx } from "../db/client.js";
import { Prisma, type Job, type Message, type QueueName } from "../generated/prisma/client.js";

export type { Job, QueueName };
/** A claimed job; with claim's `messageBytes`, its Message row read by the claim itself (null or absent: not read; read it). */
export type ClaimedJob = Job & { message?: Message | null };
export const QUEUES: QueueName[] = ["list", "command", "bounces", "owner", "out", "archive"];
/** NOTIFY channel: payload is the queue name that got work. */
export const JOBS_CHANNEL = "mailroom_jobs";

export interface NewJob {
  queue: QueueName;
  messageId?: bigint | null;
  listId?: string | null;
  recipient?: string | null;
  data?: object;
  runAt?: Date;
}

/** Identifies this process in `lockedBy`, so its own dead predecessors can be spotted. */
export const WORKER_ID = `${hostname()}:${process.pid}`;

// This process's workers, by queue (runner.ts registers them while it runs). Work this
// process makes for a queue it runs itself is handed to them in memory once committed,
// not by a NOTIFY: a transaction that sends NOTIFY takes PostgreSQL's database-wide
// notify lock from its pre-commit to the end of its commit (async.c PreCommit_Notify),
// so every such commit, with its WAL flush, waits for the one before it.
// Other processes running the same queue then see that work by their poll (runner.ts
// pollMs, 1 s) rather than at once: they only matter when this process is full, and a
// process that finds a backlog keeps claiming without sleeping (full batches), so the
// cost is at most one poll interval at the start of a burst that one process cannot take.
const localWorkers = new Map<QueueName, Set<LocalWorker>>();

/** A queue's worker in this process, as the runner registers it. */
export interface LocalWorker {
  /** Makes the worker claim (work was committed for it). */
  wake(): void;
  /** Sets aside up to `n` of its free slots for jobs handed to it (reserveLocal); returns how many. */
  reserve(n: number): number;
  /** Handed jobs bring their message when it is at most this many bytes (the handler's claim's `messageBytes`). */
  messageBytes: number;
  /** Runs jobs already claimed for it (at most the slots set aside) and frees `slots`. */
  start(jobs: ClaimedJob[], slots: number): void;
}

/** Registers a worker of this process for `queue`; returns how to unregister it. */
export function registerLocalWorker(queue: QueueName, worker: LocalWorker): () => void {
  let set = localWorkers.get(queue);
  if (!set) localWorkers.set(queue, (set = new Set()));
  set.add(worker);
  return () => { set.delete(worker); };
}

/** Whether this process runs workers of `queue` (then it wakes them itself: no NOTIFY needed). */
export function runsHere(queue: QueueName): boolean {
  return (localWorkers.get(queue)?.size ?? 0) > 0;
}

/** Wakes this process's workers of `queue`. Call once the work is committed: earlier, they find nothing and sleep till their poll. */
export function wakeLocal(queue: QueueName): void {
  for (const w of localWorkers.get(queue) ?? []) w.wake();
}

/**
 * Free slots of this process's worker of a queue, set aside for jobs the caller
 * inserts already claimed by it (state running, locked by WORKER_ID, attempt 1, as a
 * claim leaves them): the claim's statement is saved, and a crash leaves them to be
 * claimed again when their lease runs out, as a claimed job. Call `start` with the
 * jobs once committed, or `start([])` when the statement failed: either frees the slots.
 */
export interface Reservation {
  readonly slots: number;
  /** A handed job's `message` is set only up to this size (else null: the handler reads it), as claim() does. */
  readonly messageBytes: number;
  start(jobs: ClaimedJob[]): void;
}

/** Up to `n` free slots of this process's worker of `queue`; null when it has none (or runs no worker of it). */
export function reserveLocal(queue: QueueName, n: number): Reservation | null {
  if (n <= 0) return null;
  for (const w of localWorkers.get(queue) ?? []) {
    const slots = w.reserve(n);
    if (slots === 0) continue;
    let started = false;
    return {
      slots,
      messageBytes: w.messageBytes,
      start(jobs) {
        if (started) return;
        started = true;
        w.start(jobs.slice(0, slots), slots);
      },
    };
  }
  return null;
}

/** How a caller's new jobs reach the workers: a NOTIFY at commit, or `after-commit` (the caller calls the returned function once committed). */
export type WakeMode = "notify" | "after-commit";

/**
 * Inserts jobs inside the caller's transaction. `notify` (the default): every worker is
 * woken by a NOTIFY at commit. `after-commit`: queues this process runs get no NOTIFY
 * (see localWorkers) and the returned function wakes their workers here; call it after
 * the commit. Other queues are sent a NOTIFY either way.
 */
export async function enqueue(tx: Tx, jobs: NewJob[], mode: WakeMode = "notify"): Promise<() => void> {
  const queues = [...new Set(jobs.map((j) => j.queue))];
  if (jobs.length === 0) return () => {};
  await tx.job.createMany({
    data: jobs.map((j) => ({
      queue: j.queue,
      messageId: j.messageId ?? null,
      listId: j.listId ?? null,
      recipient: j.recipient ?? null,
      data: (j.data ?? {}) as object,
      runAt: j.runAt ?? new Date(),
    })),
  });
  // NOTIFY is delivered at commit, so workers never see a job before it exists.
  const local = mode === "after-commit" ? queues.filter(runsHere) : [];
  for (const queue of queues) {
    if (!local.includes(queue)) await tx.$executeRaw`SELECT pg_notify(${JOBS_CHANNEL}, ${queue})`;
  }
  return () => { for (const q of local) wakeLocal(q); };
}

/**
 * A list post's values as columns of the rows of a statement that finishes several
 * posts at once (the list stage's batch finish, pipeline/list-finisher.ts), from which
 * delivery makes each post's out jobs (delivery/expand.ts outJobsOfRow).
 */
export interface PostRowColumns {
  /** text[] of lower-case address keys. */
  exclude: Prisma.Sql;
  /** The list job's id, as text. */
  parent: Prisma.Sql;
  /** The list-post job's data (jsonb). */
  post: Prisma.Sql;
}

/**
 * Inserts one job of `queue` for each row of `rows`, a query giving (recipient text,
 * data jsonb), all with the same message and list, in one statement inside the
 * caller's transaction (the list stage's finish: a post's chunk jobs or its list-post
 * job, delivery/expand.ts outJobsQuery). Woken as by enqueue with `mode`; resolves
 * the number of jobs made and what to call once committed.
 */
export async function enqueueQuery(
  tx: Tx, job: { queue: QueueName; messageId: bigint; listId: string }, rows: Prisma.Sql, mode: WakeMode = "notify",
): Promise<{ jobs: number; wake: () => void }> {
  const local = mode === "after-commit" && runsHere(job.queue);
  const [row] = await tx.$queryRaw<{ jobs: bigint }[]>`
    WITH ins AS (
      INSERT INTO "Job" (queue, "messageId", "listId", recipient, data)
      SELECT ${job.queue}::"QueueName", ${job.messageId}::bigint, ${job.listId}::text, r.recipient, r.data
      FROM (${rows}) AS r
      RETURNING 1
    ), woken AS (
      SELECT pg_notify(${JOBS_CHANNEL}, ${job.queue}::text) WHERE NOT ${local}::boolean AND EXISTS (SELECT 1 FROM ins)
    )
    SELECT (SELECT count(*) FROM ins) AS jobs, (SELECT count(*) FROM woken) AS woken`;
  const jobs = Number(row?.jobs ?? 0);
  return { jobs, wake: () => { if (local && jobs > 0) wakeLocal(job.queue); } };
}

/**
 * Claims up to `limit` ready jobs of one queue whose time has come, plus running jobs
 * whose lease ran out (their worker died). Each claim counts as an attempt.
 * `running`: ids this process is still working on. Their lease can look expired when
 * the heartbeat waited behind a long query queue (a busy pool or event loop);
 * taking them over would send their copies a second time while the first run goes on.
 * Read through the partial index of live jobs in (queue, runAt, id) order (migration
 * 20261204183000_live_jobs_index): a plain index scan that stops at `limit` and marks
 * the dead versions it meets, so claims do not read past every job finished since the
 * last vacuum.
 */
export async function claim(
  db: Database, queue: QueueName, limit: number, leaseSeconds: number, running: readonly bigint[] = [], messageBytes = 0,
): Promise<ClaimedJob[]> {
  // A prepared statement on the job queue's connections (db.jobQuery): planned once
  // per connection, where Prisma's unnamed statement was planned at every claim.
  const params = [queue, limit, leaseSeconds, running, WORKER_ID, "running"];
  if (messageBytes <= 0) return (await db.jobQuery<JobRow>("mailroom_claim", CLAIM_SQL, params)).map(jobOf);
  // The handler's first read done by the claim (list and out handlers read the message
  // first): one round trip less per job. Only messages up to `messageBytes`: the chunks
  // of a big list share one message, which the out handler keeps in memory.
  const rows = await db.jobQuery<JobRow & MessageRow>("mailroom_claim_message", CLAIM_MESSAGE_SQL, [...params, messageBytes]);
  return rows.map((r) => ({
    ...jobOf(r),
    message: r.m_id === null ? null : {
      id: BigInt(r.m_id), messageId: r.m_messageId, messageIdHash: r.m_messageIdHash, mailFrom: r.m_mailFrom, rcptTo: r.m_rcptTo,
      size: r.m_size, raw: r.m_raw as Uint8Array<ArrayBuffer>, receivedAt: r.m_receivedAt,
    },
  }));
}

// Two branches, not one OR: with an OR the index scan cannot stop at runAt <= now()
// and read every job deferred to later (an MTA outage's chunks) on every idle claim.
// Locking is not allowed in a UNION's arms, hence the two CTEs.
// The expired branch names its state by a parameter ($6, always 'running'), so that
// a generic plan cannot use the partial index of live jobs there (PostgreSQL cannot
// prove a parameter within its predicate): made on a small table, the plan read that
// index by queue alone in runAt order and so every live job of the queue, each
// deferred one included, on every claim (28 ms with 100,000 deferred jobs); by state
// and queue it reads only the queue's running jobs (the plan after an ANALYZE).
const CLAIM_SQL = `
    WITH due AS (
      SELECT id, "runAt" FROM "Job"
      WHERE queue = $1::"QueueName" AND state = 'ready' AND "runAt" <= now()
      ORDER BY "runAt", id LIMIT $2::int
      FOR UPDATE SKIP LOCKED
    ), expired AS (
      SELECT id, "runAt" FROM "Job"
      WHERE queue = $1::"QueueName" AND state = $6::"JobState"
        AND "lockedAt" < now() - make_interval(secs => $3::double precision)
        AND id <> ALL($4::bigint[])
      ORDER BY "runAt", id LIMIT $2::int
      FOR UPDATE SKIP LOCKED
    )
    UPDATE "Job" SET state = 'running', "lockedAt" = now(), "lockedBy" = $5::text, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) AS live
      ORDER BY "runAt", id LIMIT $2::int)
    RETURNING *`;
const CLAIM_MESSAGE_SQL = `
    WITH c AS (${CLAIM_SQL})
    SELECT c.*, m.id AS m_id, m."messageId" AS "m_messageId", m."messageIdHash" AS "m_messageIdHash", m."mailFrom" AS "m_mailFrom",
           m."rcptTo" AS "m_rcptTo", m.size AS m_size, m.raw AS m_raw, m."receivedAt" AS "m_receivedAt"
    FROM c LEFT JOIN "Message" m ON m.id = c."messageId" AND m.size <= $7::int`;

/** A Job row as pg gives it: int8 as text (jsonb, timestamptz and enums it turns into what Prisma would). */
type JobRow = Omit<Job, "id" | "messageId"> & { id: string; messageId: string | null };
interface MessageRow {
  m_id: string | null; m_messageId: string; m_messageIdHash: string; m_mailFrom: string; m_rcptTo: string[];
  m_size: number; m_raw: Buffer; m_receivedAt: Date;
}

function jobOf(r: JobRow): Job {
  return {
    id: BigInt(r.id), queue: r.queue, state: r.state, messageId: r.messageId === null ? null : BigInt(r.messageId),
    listId: r.listId, recipient: r.recipient, data: r.data, attempts: r.attempts, runAt: r.runAt, lockedAt: r.lockedAt,
    lockedBy: r.lockedBy, lastError: r.lastError, createdAt: r.createdAt, finishedAt: r.finishedAt,
  };
}

/** Backoff for the n-th attempt: 1 s, 4 s, 16 s … capped at `capSeconds`. */
export function backoffSeconds(attempt: number, capSeconds = 3600): number {
  return Math.min(capSeconds, 4 ** Math.max(0, attempt - 1));
}

/**
 * At start: jobs this host's dead processes had claimed go back to ready at once,
 * rather than waiting for their lease (kill -9 then restart resumes immediately).
 */
export async function releaseDeadWorkers(db: Database): Promise<number> {
  const host = hostname();
  const rows = await db.prisma.$queryRaw<{ lockedBy: string }[]>`
    SELECT DISTINCT "lockedBy" FROM "Job" WHERE state = 'running' AND "lockedBy" LIKE ${host + ":%"}`;
  const dead = rows.map((r) => r.lockedBy).filter((w) => {
    const pid = Number(w.slice(host.length + 1));
    if (!pid || pid === process.pid) return false;
    try { process.kill(pid, 0); return false; } catch (e) { return (e as NodeJS.ErrnoException).code !== "EPERM"; }
  });
  if (dead.length === 0) return 0;
  return db.prisma.$executeRaw`
    UPDATE "Job" SET state = 'ready', "lockedAt" = NULL, "lockedBy" = NULL
    WHERE state = 'running' AND "lockedBy" = ANY(${dead}::text[])`;
}

export interface QueueDepth {
  name: QueueName | "shunt";
  /** Jobs waiting or being worked on. */
  depth: number;
  /** Age in seconds of the oldest of them; null when empty. */
  oldestAgeSeconds: number | null;
}

/** Depth and oldest age per queue; failed jobs of every queue count as "shunt". */
export async function queueDepths(db: Database): Promise<QueueDepth[]> {
  const rows = await db.prisma.$queryRaw<{ name: string; depth: bigint; oldest: Date | null }[]>`
    SELECT CASE WHEN state = 'shunt' THEN 'shunt' ELSE queue::text END AS name,
           count(*) AS depth, min("createdAt") AS oldest
    FROM "Job" WHERE state IN ('ready', 'running', 'shunt')
    GROUP BY 1`;
  const now = Date.now();
  const byName = new Map(rows.map((r) => [r.name, r]));
  return [...QUEUES, "shunt" as const].map((name) => {
    const r = byName.get(name);
    return {
      name,
      depth: r ? Number(r.depth) : 0,
      oldestAgeSeconds: r?.oldest ? Math.max(0, Math.round((now - r.oldest.getTime()) / 1000)) : null,
    };
  });
}
