// Records what became of a chunk's recipients, in ONE statement with the job's next
// state (queue/transitions.ts transition(), fenced by the claim): permanent refusals are kept with their reply and become BounceEvent rows
// (kind permanent) for the bounce processor; temporary ones stay pending and the job
// goes back to the queue with a growing wait, until the retry deadline (counted from
// the post) passes and they are given up. Without bounce events, that statement is
// shared with the other chunks settling at the same moment (queue/group-transition.ts).
// Called by handler.ts after send-chunk.ts.
import type { Database } from "../db/client.js";
import { Prisma } from "../generated/prisma/client.js";
import { transition, type Claim } from "../queue/transitions.js";
import type { GroupTransition } from "../queue/group-transition.js";
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
  job: Claim;
  data: D;
  rcpt: string[];
  outcome: Outcome;
  /** When the deadline counts from. */
  postedAt: Date;
  deadlineSeconds: number;
  retryWaitSeconds: number;
  /** Set for list posts: refusals become bounce events of this list. */
  bounce: { listPk: number; messageId: string } | null;
  /** The handler's group commit: a settle without bounce events shares its statement with the others of the moment. */
  group?: GroupTransition;
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

  // One statement (one round trip, atomic): the job's next state and the bounce
  // events, which are written only if the claim still holds (when it was lost, the
  // worker that has the job records the outcome instead). A deferral resets the
  // attempts count: the chunk waits for the MTA, its workers did not die.
  const bounces = s.bounce ? newlyFailed.map(([i, reply]) => ({ address: s.rcpt[i]!, reason: reply })) : [];
  const events = bounces.length === 0 ? undefined : Prisma.sql`
    INSERT INTO "BounceEvent" ("listId", address, "addressKey", "messageId", kind, reason)
    SELECT ${s.bounce!.listPk}::int, x.address, lower(x.address), ${s.bounce!.messageId}::text, 'permanent', x.reason
    FROM settled, jsonb_to_recordset(${JSON.stringify(bounces)}::jsonb) AS x(address text, reason text)`;
  const next = done
    ? { state: "done" as const, data }
    : { state: "ready" as const, delaySeconds: delay, error: lastError, data, deferred: true };
  if (s.group && !events) await s.group.transition(s.job, next);
  else await transition(db.prisma, s.job, next, events);
  return {
    done, sent: s.outcome.sent.length, failed: newlyFailed.length, deferred: done ? 0 : temporary.length,
    expired: pastDeadline ? temporary.length : 0, delay,
  };
}
