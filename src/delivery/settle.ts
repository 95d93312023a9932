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

  await db.prisma.$transaction(async (tx) => {
    const updated = done
      ? await tx.$executeRaw`
          UPDATE "Job" SET state = 'done', "finishedAt" = now(), "lockedAt" = NULL, "lockedBy" = NULL,
                 data = ${JSON.stringify(data)}::jsonb
          WHERE id = ${s.jobId} AND state = 'running' AND "lockedBy" = ${WORKER_ID}`
      : await tx.$executeRaw`
          UPDATE "Job" SET state = 'ready', "lockedAt" = NULL, "lockedBy" = NULL, attempts = 0,
                 "runAt" = now() + make_interval(secs => ${delay}), "lastError" = ${lastError},
                 data = ${JSON.stringify(data)}::jsonb
          WHERE id = ${s.jobId} AND state = 'running' AND "lockedBy" = ${WORKER_ID}`;
    // Lost the job (lease ran out and another worker has it): it records the outcome.
    if (updated === 0) return;
    if (s.bounce && newlyFailed.length) {
      await tx.bounceEvent.createMany({
        data: newlyFailed.map(([i, reply]) => ({
          listId: s.bounce!.listPk,
          address: s.rcpt[i]!,
          addressKey: s.rcpt[i]!.toLowerCase(),
          messageId: s.bounce!.messageId,
          kind: "permanent" as const,
          reason: reply,
        })),
      });
    }
    if (!done && delay === 0) await tx.$executeRaw`SELECT pg_notify(${JOBS_CHANNEL}, 'out')`;
  });
  return {
    done, sent: s.outcome.sent.length, failed: newlyFailed.length, deferred: done ? 0 : temporary.length,
    expired: pastDeadline ? temporary.length : 0, delay,
  };
}
