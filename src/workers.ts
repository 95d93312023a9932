// Wires the queue handlers (posting pipeline, delivery, …) to the queue runner.
// Like main.ts this is wiring, so it may import any part.
import type { Config } from "./config/index.js";
import type { Database } from "./db/client.js";
import type { Logger } from "./log.js";
import type { Services } from "./services/index.js";
import { releaseDeadWorkers } from "./queue/jobs.js";
import { startRunner, type JobHandler } from "./queue/runner.js";
import { startJanitor } from "./queue/janitor.js";
import { createDeliveryHandler } from "./delivery/handler.js";
import { createDnsDmarcResolver } from "./pipeline/dmarc.js";
import { createListQueueHandler } from "./pipeline/list-queue.js";
import { readSiteHeaderPatterns } from "./pipeline/site-headers.js";
import { createCommandHandler, createOwnerHandler } from "./commands/handler.js";
import { createBounceHandler } from "./bounces/handler.js";
import { createArchiveSite } from "./archivers/site.js";
import { createArchiveHandler } from "./archivers/handler.js";

export interface WorkerDeps { db: Database; services: Services; config: Config; log: Logger }
export interface Workers { stop(): Promise<void> }

/** One handler per queue this process consumes. */
function handlers(deps: WorkerDeps): JobHandler[] {
  // One per process: it keeps HyperKitty's list URLs for the headers of later posts.
  const archives = createArchiveSite({ config: deps.config.archivers, publicUrl: deps.config.publicUrl, log: deps.log });
  const delivery = createDeliveryHandler({ db: deps.db, config: deps.config, secret: deps.services.secret, templates: deps.services.templateLoader });
  return [
    createListQueueHandler({
      db: deps.db, log: deps.log, dmarc: createDnsDmarcResolver(), archives,
      suspiciousHeaders: readSiteHeaderPatterns(deps.config.suspiciousHeadersFile),
      templating: { notices: deps.services.notices, templates: deps.services.templateLoader },
      // A small list's post goes to delivery as its chunk jobs, without the list-post job hop.
      outJobs: delivery.outJobsFor,
      outJobsOfRow: delivery.outJobsOfRow,
    }),
    delivery,
    createCommandHandler({ db: deps.db, log: deps.log, services: deps.services }),
    createOwnerHandler({ db: deps.db, log: deps.log, services: deps.services }),
    createBounceHandler({ db: deps.db, log: deps.log, services: deps.services }),
    createArchiveHandler({ db: deps.db, log: deps.log, site: archives }),
  ];
}

export async function startWorkers(deps: WorkerDeps): Promise<Workers> {
  if (deps.config.workers === 0) return { stop: async () => {} };
  const released = await releaseDeadWorkers(deps.db);
  if (released) deps.log.info({ released }, "jobs of a dead process released");
  const hs = handlers(deps);
  const runner = await startRunner({ db: deps.db, log: deps.log, handlers: hs, leaseSeconds: deps.config.jobLeaseSeconds });
  const janitor = startJanitor({ db: deps.db, log: deps.log, retentionSeconds: deps.config.jobRetentionSeconds });
  return {
    async stop() {
      await Promise.all([runner.stop(), janitor.stop()]);
      // Handlers that hold a timer or connections (the bounce sweep, delivery's SMTP pool).
      for (const h of hs as (JobHandler & { close?: () => void })[]) h.close?.();
    },
  };
}
