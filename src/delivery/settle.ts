// Records what became of a chunk's recipients, in one transaction with the job's next
// state: permanent refusals are kept with their reply and become BounceEvent rows
// (kind permanent) for the bounce processor; temporary ones stay pending and the job
// goes back to the queue with a growing wait, until the retry deadline (counted from
// the post) passes and they are given up. Called by handler.ts after send-chunk.ts.
import type { Database } from "../db/client.js";
import { JOBS_CHANNEL, WORKER_ID } from "../queue/jobs.js";
import { classifyReply } from "./classify.js";
import type { Outcome } from "./send-chunk.js";

/** The per-recipient state fields shared by chunk and direct jobs (chunk-data.ts). */
export interface RecipientState {
  pending?: number[];
  failed?: [number, string][];
  expired?: [number, string][];
  deferred?: [number, string][];
  tries?: number;
}

export interface SettleInput<D extends RecipientState> {
  jobId: bigint;
  data: D;
  rcpt: string[];
  outcome: Outcome;
  /** When the deadline counts from. */
  postedAt: Date;
  deadlineSeconds: number;
  retryWaitSeconds: number;
  /** Set for list posts: refusals become bounce events of this list. */
  bounce: { listPk: number; messageId: string } | null;
}

export interface Settled {
  done: boolean;
  sent: number;
  failed: number;
  deferred: number;
  expired: number;
  /** Seconds until the next try when not done. */
  delay: number;
}

export async function settleChunk<D extends RecipientState>(db: Database, s: SettleInput<D>): Promise<Settled> {
  const now = Date.now();
  const pastDeadline = now >= s.postedAt.getTime() + s.deadlineSeconds * 1000;
  const failed: [number, string][] = [...(s.data.failed ?? [])];
  const expired: [number, string][] = [...(s.data.expired ?? [])];
  const newlyFailed: [number, string][] = [];
  const temporary: [number, string][] = [];
  for (const [i, code, reply] of s.outcome.refused) {
    if (classifyReply(code, reply).action === "permanent") newlyFailed.push([i, reply]);
    else temporary.push([i, reply]);
  }
  for (const [i, reason] of s.outcome.unreachable) temporary.push([i, reason]);
  failed.push(...newlyFailed);
  if (pastDeadline) expired.push(...temporary.map(([i, r]) => [i, `gave up after the retry period: ${r}`] as [number, string]));
  const pending = [...(pastDeadline ? [] : temporary.map(([i]) => i)), ...s.outcome.unsent].sort((a, b) => a - b);
  const done = pending.length === 0;
  const tries = (s.data.tries ?? 0) + (temporary.length && !pastDeadline ? 1 : 0);
  let delay = 0;
  if (!done && temporary.length && !pastDeadline) {
    const left = Math.ceil((s.postedAt.getTime() + s.deadlineSeconds * 1000 - now) / 1000);
    const wait = s.retryWaitSeconds * 2 ** Math.min(tries - 1, 20);
    delay = Math.max(1, Math.min(wait, Math.max(s.retryWaitSeconds, 4 * 3600), left));
  }
  const data = {
    ...s.data,
    pending: done ? undefined : pending,
    failed: failed.length ? failed : undefined,
    expired: expired.length ? expired : undefined,
    deferred: done || pastDeadline ? undefined : temporary,
    tries: tries || undefined,
  };
  const lastError = temporary.length ? `${temporary.length} deferred, e.g. ${s.rcpt[temporary[0]![0]]}: ${temporary[0]![1]}` : null;

  // One statement (one round trip, atomic): the job's next state and the bounce events.
  // Matches nothing when the job was lost (lease ran out, another worker has it): that
  // worker records the outcome instead.
  const bounces = s.bounce ? newlyFailed.map(([i, reply]) => ({ address: s.rcpt[i]!, reason: reply })) : [];
  await db.prisma.$queryRaw`
    WITH u AS (
      UPDATE "Job" SET
        state = (CASE WHEN ${done}::boolean THEN 'done' ELSE 'ready' END)::"JobState",
        "finishedAt" = CASE WHEN ${done}::boolean THEN now() ELSE NULL END,
        "lockedAt" = NULL, "lockedBy" = NULL,
        attempts = CASE WHEN ${done}::boolean THEN attempts ELSE 0 END,
        "runAt" = CASE WHEN ${done}::boolean THEN "runAt" ELSE now() + make_interval(secs => ${delay}::int) END,
        "lastError" = CASE WHEN ${done}::boolean THEN "lastError" ELSE ${lastError}::text END,
        data = ${JSON.stringify(data)}::jsonb
      WHERE id = ${s.jobId}::bigint AND state = 'running' AND "lockedBy" = ${WORKER_ID}::text
      RETURNING id
    ), b AS (
      INSERT INTO "BounceEvent" ("listId", address, "addressKey", "messageId", kind, reason)
      SELECT ${s.bounce?.listPk ?? 0}::int, x.address, lower(x.address), ${s.bounce?.messageId ?? ""}::text, 'permanent', x.reason
      FROM u, jsonb_to_recordset(${JSON.stringify(bounces)}::jsonb) AS x(address text, reason text)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM u) AS updated, (SELECT count(*) FROM b) AS bounced`;
  // Stopped before sending to everyone: the rest is due now, wake a worker (here or elsewhere).
  if (!done && delay === 0) await db.prisma.$executeRaw`SELECT pg_notify(${JOBS_CHANNEL}, 'out')`;
  return {
    done, sent: s.outcome.sent.length, failed: newlyFailed.length, deferred: done ? 0 : temporary.length,
    expired: pastDeadline ? temporary.length : 0, delay,
  };
}
