// The use-cases shared by the REST API, LMTP and the CLI, built once by main.ts
// (and by tests) from the database, config, logger and Postfix maps updater.
// Each service owns its transactions; callers never touch db/ for these resources.
import { queueDepths, type QueueDepth } from "../queue/jobs.js";
import type { ServiceDeps } from "./deps.js";
import { createDomainService } from "./domains.js";
import { createListService } from "./lists.js";
import { createAddressService } from "./addresses.js";
import { createBanService } from "./bans.js";
import { createMemberService } from "./members.js";
import { createMembershipService } from "./memberships.js";
import { createModerationService } from "./moderation.js";
import { createSubscriptionService } from "./subscriptions.js";
import { createTemplateService } from "./templates.js";
import { createDomainOwnerService } from "./domain-owners.js";
import { createUserService } from "./users.js";

export type { ServiceDeps } from "./deps.js";
export type Services = ReturnType<typeof createServices>;

export function createServices(deps: ServiceDeps) {
  const lists = createListService(deps);
  return {
    deps,
    domains: createDomainService(deps, (listId) => lists.changed(listId)),
    lists,
    members: createMemberService(deps, lists),
    users: createUserService(deps),
    addresses: createAddressService(deps),
    bans: createBanService(deps, lists),
    memberships: createMembershipService(deps),
    subscriptions: createSubscriptionService(deps),
    moderation: createModerationService(deps),
    templates: createTemplateService(deps),
    domainOwners: createDomainOwnerService(deps),
    queues: { depths: (): Promise<QueueDepth[]> => queueDepths(deps.db) },
  };
}
