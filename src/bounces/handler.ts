// The "bounces" queue handler: mail to -bounces (VERP'd or not) is parsed; each
// bounced member gets a BounceEvent and is scored (services/bounce-scores.ts);
// what cannot be read goes to the list's administrators. A periodic sweep scores the
// BounceEvents delivery records for 5xx replies and sends the "you are disabled"
// warnings that are due. Registered in src/workers.ts.
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import { decodeVerp } from "../domain/list-address.js";
import type { Job } from "../queue/jobs.js";
import type { JobHandler } from "../queue/runner.js";
import type { Services } from "../services/index.js";
import { parseBounce } from "./parse.js";

export interface BounceHandlerDeps {
  db: Database;
  log: Logger;
  services: Services;
  /** How often delivery's 5xx events and due warnings are looked at; 0 disables the timer. */
  sweepIntervalMs?: number;
}

interface JobData { extension?: string | null }

export function createBounceHandler(deps: BounceHandlerDeps): JobHandler & { close(): void } {
  const { bounces } = deps.services;
  const interval = deps.sweepIntervalMs ?? 30_000;
  let timer: NodeJS.Timeout | null = null;
  if (interval > 0) {
    // The runner has no periodic hook; an unref'd timer does not keep the process alive.
    // close() (called by workers.ts once the runner has stopped) clears it.
    timer = setInterval(() => {
      bounces.sweep().catch((err) => deps.log.debug({ err: (err as Error).message }, "bounce sweep failed"));
    }, interval).unref();
  }

  return {
    queue: "bounces",
    concurrency: 1,
    maxAttempts: 5,
    /** Stops the periodic sweep. */
    close() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    async handle(job: Job, ctx) {
      const list = job.listId ? await deps.db.prisma.mailingList.findUnique({ where: { listId: job.listId } }) : null;
      const msg = job.messageId ? await deps.db.prisma.message.findUnique({ where: { id: job.messageId } }) : null;
      if (!list || !msg) { ctx.log.info({ list: job.listId }, "bounce for a list or message that is gone; dropped"); return; }
      const log = ctx.log.child({ messageId: msg.messageId });
      const verpAddress = decodeVerp((job.data as JobData).extension ?? null);
      const report = await parseBounce(Buffer.from(msg.raw), { verpAddress });
      if (report.autoReply) {
        // A vacation reply to a member's VERP address is not a delivery failure (issue 16).
        log.info({ autoReply: report.autoReply, verp: !!verpAddress }, "auto-reply to the bounces address: not a bounce, ignored");
        return;
      }
      if (!report.recognised) {
        const forwarded = await bounces.forwardUnrecognised(list, msg.id);
        log.info({ forwardedTo: forwarded }, "unrecognised bounce forwarded to the administrators");
        return;
      }
      if (!list.processBounces) { log.info({ format: report.format }, "bounce ignored: the list does not process bounces"); return; }
      const result = await bounces.record(list.id, report);
      log.info({ format: report.format, recorded: result.recorded, unknown: result.unknown.length }, "bounce recorded");
      await bounces.sweep();
    },
  };
}
