// The "archive" queue handler: hands each archived post to HyperKitty the way the
// mailman-hyperkitty plugin does, but as a job, so delivery never waits on it and
// a HyperKitty outage only delays it. Unavailable (down, 5xx, timeout, wrong key):
// the job waits and is tried again, the wait growing to MAILROOM_ARCHIVE_RETRY_MAX
// and staying there, for as long as it takes (a deferral, so the job is never
// shunted for it). Refused (413: too large for HyperKitty): shunted,
// kept for the operator. A job run twice (its worker died after HyperKitty
// answered) is harmless: HyperKitty drops a Message-ID it already has
// (DuplicateMessage) and answers with the same URL. Registered by workers.ts.
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import { backoffSeconds, type Job } from "../queue/jobs.js";
import { PermanentFailure, type Handled, type JobContext, type JobHandler } from "../queue/runner.js";
import { transition } from "../queue/transitions.js";
import type { ArchiveJobData } from "./archive-post.js";
import type { ArchiveSite } from "./site.js";

export interface ArchiveHandlerDeps {
  db: Database;
  log: Logger;
  site: ArchiveSite;
  concurrency?: number;
}

export function createArchiveHandler(deps: ArchiveHandlerDeps): JobHandler {
  return {
    queue: "archive",
    concurrency: deps.concurrency ?? 2,
    maxAttempts: 5,
    handle: (job, ctx) => archiveJob(deps, job, ctx),
  };
}

async function archiveJob(deps: ArchiveHandlerDeps, job: Job, ctx: JobContext): Promise<Handled> {
  const data = job.data as unknown as ArchiveJobData;
  if (data?.archiver !== "hyperkitty" || typeof data.mlist !== "string") throw new PermanentFailure("archive job without a known archiver");
  const hyperkitty = deps.site.hyperkitty;
  if (!hyperkitty) throw new PermanentFailure("HyperKitty is no longer configured (MAILROOM_HYPERKITTY_URL)");
  if (job.messageId === null) throw new PermanentFailure("archive job without a message");
  const message = await deps.db.prisma.message.findUnique({ where: { id: job.messageId }, select: { raw: true, messageId: true } });
  if (!message) throw new PermanentFailure(`message ${job.messageId} is gone`);

  const result = await hyperkitty.archive(data.mlist, Buffer.from(message.raw));
  switch (result.outcome) {
    case "archived":
      ctx.log.info({ messageId: message.messageId, url: result.url }, "archived in HyperKitty");
      // Done with HyperKitty's URL kept on the job: settled here, the runner writes nothing more.
      await transition(deps.db.prisma, job, { state: "done", data: { ...data, url: result.url } });
      return "settled";
    case "refused":
      throw new PermanentFailure(`HyperKitty refused the post (HTTP ${result.status}): ${result.detail}`);
    case "unavailable": {
      const tries = (data.tries ?? 0) + 1;
      const delaySeconds = backoffSeconds(tries, deps.site.config.retryMaxSeconds);
      ctx.log.warn({ messageId: message.messageId, reason: result.detail, tries, delay: delaySeconds }, "HyperKitty unavailable; archive job waits");
      await transition(deps.db.prisma, job, {
        state: "ready", delaySeconds, error: `HyperKitty unavailable: ${result.detail}`, deferred: true, data: { ...data, tries },
      });
      return "settled";
    }
  }
}
