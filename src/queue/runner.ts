// Runs queue handlers: claims jobs when woken (a NOTIFY on "mailroom_jobs", work this
// process committed) and at its poll (delayed retries, expired leases), takes jobs
// handed to it already claimed (jobs.ts reserveLocal), runs up to `concurrency` at
// once per queue, keeps their leases alive, and settles each job: done, retry with
// backoff, or shunt after `maxAttempts` (Mailman core/runner.py moves failures to
// shunt, never drops them).
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import { backoffSeconds, claim, JOBS_CHANNEL, registerLocalWorker, type ClaimedJob, type Job, type QueueName } from "./jobs.js";
import { complete, heartbeat, retryLater, shunt } from "./transitions.js";

export interface JobContext {
  /** Aborted when the process is stopping: finish the current step, then throw RetryLater. */
  signal: AbortSignal;
  log: Logger;
}

export interface JobHandler {
  queue: QueueName;
  /** Jobs of this queue handled at once in this process. */
  concurrency: number;
  /** Attempts (claims) before the job is shunted. */
  maxAttempts: number;
  /** The claim reads each job's Message row too (job.message) when it is at most this many bytes: for handlers that read it first. */
  messageBytes?: number;
  /** Resolve: the job is done. What the runner still has to write is the value (Handled). */
  handle(job: ClaimedJob, ctx: JobContext): Promise<Handled | void>;
}

/**
 * What a handler that resolved leaves to the runner. Nothing (or "complete"): the
 * runner marks the job done. "settled": the handler already moved the job on through
 * transitions.ts in its own statement or transaction (done, done with its children,
 * back to ready), or found there that its claim was lost; the runner writes nothing,
 * which saves a round trip and a commit per job on the hot path (list, expand, send).
 */
export type Handled = "complete" | "settled";

/** Thrown by a handler: try again after `delaySeconds`, optionally with updated job data. */
export class RetryLater extends Error {
  constructor(message: string, readonly delaySeconds: number, readonly data?: object) {
    super(message);
  }
}

/** Thrown by a handler: this job can never succeed; shunt it now. */
export class PermanentFailure extends Error {}

export interface RunnerOptions {
  db: Database;
  log: Logger;
  handlers: JobHandler[];
  leaseSeconds: number;
  /** Longest sleep without a NOTIFY (delayed retries become due). */
  pollMs?: number;
}

export interface Runner { stop(): Promise<void> }

export async function startRunner(opts: RunnerOptions): Promise<Runner> {
  const { db, log } = opts;
  const pollMs = opts.pollMs ?? 1000;
  const abort = new AbortController();
  const wakers = new Map<QueueName, () => void>();
  const unlisten = await db.listen(JOBS_CHANNEL, (payload) => {
    if (payload === "*") for (const w of wakers.values()) w();
    else wakers.get(payload as QueueName)?.();
  });
  const loops = opts.handlers.map((h) => runQueue(h));

  async function runQueue(h: JobHandler): Promise<void> {
    const inflight = new Set<Promise<void>>();
    const inflightIds = new Set<bigint>();
    let wake: () => void = () => {};
    let pending = true; // a claim may find work (see the loop)
    /** Slots set aside: for the claim in flight, and for jobs another stage of this process inserts already claimed (jobs.ts reserveLocal). */
    let reserved = 0;
    /** Slots neither running a job nor set aside. */
    const free = () => h.concurrency - inflight.size - reserved;
    const waker = () => { pending = true; wake(); };
    wakers.set(h.queue, waker);
    const track = (job: ClaimedJob) => {
      const p = runJob(h, job).finally(() => { inflight.delete(p); inflightIds.delete(job.id); wake(); });
      inflight.add(p);
      inflightIds.add(job.id);
    };
    // Work this process commits for this queue wakes the loop in memory, or comes
    // already claimed into slots set aside for it (jobs.ts).
    const unregister = registerLocalWorker(h.queue, {
      wake: waker,
      messageBytes: h.messageBytes ?? 0,
      reserve(n) {
        if (abort.signal.aborted) return 0;
        const slots = Math.max(0, Math.min(n, free()));
        reserved += slots;
        return slots;
      },
      start(jobs, slots) {
        reserved -= slots;
        for (const job of jobs) track(job);
        wake();
      },
    });
    // The poll is a deadline that wake-ups do not move: under a steady stream of
    // hand-overs and finished jobs the loop never sleeps a whole interval, and work that
    // only a claim finds (a retry come due, an expired lease, jobs another process made
    // without a NOTIFY) must still be claimed within one.
    let pollAt = Date.now() + pollMs;
    while (!abort.signal.aborted) {
      if (Date.now() >= pollAt) pending = true;
      const room = free();
      let claimed: Job[] = [];
      // A claim only when it may find work: woken for this queue (a NOTIFY, a commit of
      // this process), the poll, or a full last claim. A slot freed by a finished job
      // claims nothing by itself: one claim per job would cost what the jobs handed
      // over already claimed (reserveLocal) save.
      if (room > 0 && pending) {
        pending = false;
        // A failed claim is tried again at the next poll, not in a tight loop.
        pollAt = Date.now() + pollMs;
        // The claim's slots are taken while it runs: a stage handing jobs over meanwhile
        // must not be given them too.
        reserved += room;
        try {
          claimed = await claim(db, h.queue, room, opts.leaseSeconds, [...inflightIds], h.messageBytes);
          // A full batch: there may be more.
          if (claimed.length === room) pending = true;
        } catch (err) {
          log.warn({ queue: h.queue, err: (err as Error).message }, "claim failed; will retry");
        } finally {
          reserved -= room;
        }
      }
      for (const job of claimed) track(job);
      const full = free() <= 0;
      if (pending && !full) continue;
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); abort.signal.removeEventListener("abort", done); wake = () => {}; resolve(); };
        // Full: a finished job wakes the loop (its slot is what a claim needs).
        const timer = setTimeout(done, full ? pollMs : Math.max(0, pollAt - Date.now()));
        wake = done;
        abort.signal.addEventListener("abort", done);
      });
    }
    unregister();
    // Slots set aside before the stop get their jobs (or are freed) within one statement; those jobs run too.
    while (reserved > 0) await new Promise<void>((resolve) => { wake = resolve; });
    await Promise.allSettled(inflight);
  }

  async function runJob(h: JobHandler, job: Job): Promise<void> {
    const jlog = log.child({ queue: h.queue, job: String(job.id), list: job.listId ?? undefined });
    // Claimed more often than it may be tried: its workers died while handling it
    // (a message that crashes the process must not crash every restart).
    if (job.attempts > h.maxAttempts) {
      jlog.error({ attempts: job.attempts }, "job shunted");
      await shunt(db.prisma, job, `abandoned: ${job.attempts - 1} workers stopped while handling it`)
        .catch((e) => jlog.error({ err: (e as Error).message }, "could not record job failure"));
      return;
    }
    const beat = setInterval(() => {
      heartbeat(db.prisma, job).catch((err) => jlog.warn({ err: (err as Error).message }, "heartbeat failed"));
    }, Math.max(1000, (opts.leaseSeconds * 1000) / 3));
    try {
      const handled = await h.handle(job, { signal: abort.signal, log: jlog });
      if (handled !== "settled") await complete(db.prisma, job);
    } catch (err) {
      await settleFailure(h, job, err as Error, jlog).catch((e) =>
        // The database is gone too: the lease expires and the job is retried later.
        jlog.error({ err: (e as Error).message }, "could not record job failure"));
    } finally {
      clearInterval(beat);
    }
  }

  async function settleFailure(h: JobHandler, job: Job, err: Error, jlog: Logger): Promise<void> {
    if (err instanceof RetryLater) {
      jlog.info({ reason: err.message, delay: err.delaySeconds }, "job deferred");
      await retryLater(db.prisma, job, err.message, err.delaySeconds, err.data);
    } else if (err instanceof PermanentFailure || job.attempts >= h.maxAttempts) {
      jlog.error({ err: err.message, attempts: job.attempts }, "job shunted");
      await shunt(db.prisma, job, `${err.name}: ${err.message}`);
    } else {
      const delay = backoffSeconds(job.attempts);
      jlog.warn({ err: err.message, attempts: job.attempts, delay }, "job failed; retrying");
      await retryLater(db.prisma, job, `${err.name}: ${err.message}`, delay);
    }
  }

  return {
    async stop() {
      abort.abort();
      for (const w of wakers.values()) w();
      await Promise.allSettled(loops);
      await unlisten();
    },
  };
}
