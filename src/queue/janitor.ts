// Deletes what the queue no longer needs: jobs finished (state done) longer ago
// than MAILROOM_JOB_RETENTION, then messages received longer ago than that which
// no job (in any state: shunted ones stay inspectable) and no held message refers
// to. ArchivedMessage keeps its own copy of the bytes, so the archive is never
// touched. Runs in small batches, each its own statement, so no sweep holds a
// long transaction (it would keep vacuum from the rows it frees). Started
// by workers.ts.
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";

export interface JanitorOptions {
  db: Database;
  log: Logger;
  retentionSeconds: number;
  /** Between sweeps; the first runs this long after start too. */
  intervalMs?: number;
  batchSize?: number;
}

export interface Janitor { stop(): Promise<void> }

const HOUR_MS = 3_600_000;

/** One sweep: rows deleted. `stopped` is checked between batches. */
export async function sweep(
  db: Database,
  retentionSeconds: number,
  batchSize = 1000,
  stopped: () => boolean = () => false,
): Promise<{ jobs: number; messages: number }> {
  const cutoff = new Date(Date.now() - retentionSeconds * 1000);
  let jobs = 0;
  let messages = 0;
  for (let n = batchSize; n === batchSize && !stopped();) {
    n = await db.prisma.$executeRaw`
      DELETE FROM "Job" WHERE id IN (
        SELECT id FROM "Job" WHERE state = 'done' AND "finishedAt" < ${cutoff} ORDER BY id LIMIT ${batchSize})`;
    jobs += n;
  }
  // Job.messageId cascades: a message any job still refers to must stay. HeldMessage
  // refers to it by a plain column, so it is checked here too.
  for (let n = batchSize; n === batchSize && !stopped();) {
    n = await db.prisma.$executeRaw`
      DELETE FROM "Message" WHERE id IN (
        SELECT m.id FROM "Message" m
         WHERE m."receivedAt" < ${cutoff}
           AND NOT EXISTS (SELECT 1 FROM "Job" j WHERE j."messageId" = m.id)
           AND NOT EXISTS (SELECT 1 FROM "HeldMessage" h WHERE h."messageId" = m.id)
         ORDER BY m.id LIMIT ${batchSize})`;
    messages += n;
  }
  return { jobs, messages };
}

export function startJanitor(opts: JanitorOptions): Janitor {
  const { db, log, retentionSeconds } = opts;
  const intervalMs = opts.intervalMs ?? HOUR_MS;
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep(db, retentionSeconds, opts.batchSize, () => stopped).then(
        (n) => { if (n.jobs || n.messages) log.info(n, "old jobs and messages deleted"); },
        (err: Error) => log.warn({ err: err.message }, "janitor sweep failed; next try in an interval"),
      ).finally(() => { running = null; schedule(); });
    }, intervalMs);
    timer.unref();
  }
  schedule();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
