// Every service, built once, in one place: `mailroom serve` (main.ts) hands the
// result to the REST API, the LMTP server and the queue workers (workers.ts); tests
// build it the same way. `migrate` and `aliases` need no services. Each service owns
// its transactions; callers never touch db/ for these resources.
import { ensureSecret } from "../secret.js";
import { queueDepths, type QueueDepth } from "../queue/jobs.js";
import { createBounceService } from "./bounce-scores.js";
import type { ServiceDeps } from "./deps.js";
import { createDomainService } from "./domains.js";
import { createIncomingStore } from "./incoming.js";
import { createListService } from "./lists.js";
import { createAddressService } from "./addresses.js";
import { createArchiveService } from "./archive.js";
import { createBanService } from "./bans.js";
import { createMemberService } from "./members.js";
import { createMembershipService } from "./memberships.js";
import { createModerationService } from "./moderation.js";
import { createRecipientResolver } from "./recipients.js";
import { createSubscriptionService } from "./subscriptions.js";
import { createTemplateService } from "./templates.js";
import { createTemplateLoader } from "./template-loader.js";
import { createNoticeService } from "./notices.js";
import { createDomainOwnerService } from "./domain-owners.js";
import { createUserService } from "./users.js";

export type { ServiceDeps } from "./deps.js";
export type Services = ReturnType<typeof createServices>;

export interface ServiceOptions {
  /** The clock of the time-dependent services (request expiry, bounce scores); tests pin it. */
  now?: () => Date;
}

export function createServices(deps: ServiceDeps, opts: ServiceOptions = {}) {
  const lists = createListService(deps);
  const templateLoader = createTemplateLoader(deps);
  const notices = createNoticeService(templateLoader, deps.config);
  let secret: Promise<string> | null = null;
  return {
    deps,
    domains: createDomainService(deps, (listId) => lists.changed(listId)),
    lists,
    members: createMemberService(deps, lists),
    users: createUserService(deps),
    addresses: createAddressService(deps),
    bans: createBanService(deps, lists),
    archive: createArchiveService(deps),
    memberships: createMembershipService(deps),
    templates: createTemplateService(deps, templateLoader),
    /** Finds a template's text (list, domain, site, shipped file; by language). */
    templateLoader,
    /** Templated mail mailroom writes itself, queued in the caller's transaction. */
    notices,
    domainOwners: createDomainOwnerService(deps),
    subscriptions: createSubscriptionService(deps, notices, opts),
    moderation: createModerationService(deps, notices),
    bounces: createBounceService(deps, notices, opts),
    /** LMTP: RCPT decisions and the store behind the 250 after DATA. */
    recipients: createRecipientResolver(deps.db, deps.log),
    incoming: createIncomingStore(deps.db),
    queues: { depths: (): Promise<QueueDepth[]> => queueDepths(deps.db) },
    /** The key that signs tokens in mail (src/secret.ts), read or made once per process. */
    secret: (): Promise<string> => {
      secret ??= ensureSecret(deps.config);
      secret.catch(() => { secret = null; });
      return secret;
    },
  };
}
