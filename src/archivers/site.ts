// The site's archivers as the posting pipeline sees them: which archivers take a
// list's posts, and the List-Archive / Archived-At URLs of each, ready before the
// pipeline runs (handlers do no I/O). HyperKitty's list URL is asked once per list
// (api/mailman/urls) and kept; while HyperKitty cannot answer, posts go out without
// its headers (Mailman would write empty "<>" ones) and the question is asked again
// a minute later, so a HyperKitty outage never holds up delivery for longer than
// one short lookup per list and minute. Built in workers.ts.
import type { Logger } from "../log.js";
import type { ArchiverConfig } from "../config/index.js";
import { activeArchivers, archiveLink, offeredArchivers, type ArchivePolicy, type ArchiverName, type PostArchiving } from "../domain/archivers.js";
import { postingAddress } from "../domain/list-address.js";
import { createHyperKitty, type HyperKitty } from "./hyperkitty.js";

/** The list fields archiving reads. */
export interface ArchiveList {
  listId: string;
  listName: string;
  mailHost: string;
  archivePolicy: ArchivePolicy;
  archivers: unknown;
  includeRfc2369Headers: boolean;
}


export interface ArchiveSite {
  config: ArchiverConfig;
  offered: ArchiverName[];
  /** null when HyperKitty is not configured. */
  hyperkitty: HyperKitty | null;
  forPost(list: ArchiveList, messageIdHash: string): Promise<PostArchiving>;
}

export interface ArchiveSiteOptions {
  config: ArchiverConfig;
  publicUrl: string | null;
  /** A different client (tests); default: HTTP to config.hyperkitty. */
  hyperkitty?: HyperKitty | null;
  /** How long a known list URL is kept, and how long before an unanswered one is asked again. */
  keepMs?: number;
  retryMs?: number;
  /** The list URL lookup's own timeout: it runs before a post is delivered. */
  lookupTimeoutMs?: number;
  /** Where a failed list URL lookup is reported (the copies then lack HyperKitty's headers). */
  log?: Logger;
}

const NO_ARCHIVERS: ArchiverConfig = { hyperkitty: null, mailArchive: null, retryMaxSeconds: 900 };

export function createArchiveSite(opts: ArchiveSiteOptions = { config: NO_ARCHIVERS, publicUrl: null }): ArchiveSite {
  const { config } = opts;
  const offered = offeredArchivers(config);
  const hyperkitty = opts.hyperkitty !== undefined ? opts.hyperkitty
    : config.hyperkitty ? createHyperKitty({ ...config.hyperkitty, timeoutMs: 10_000 }) : null;
  const lookup = config.hyperkitty && opts.hyperkitty === undefined
    ? createHyperKitty({ ...config.hyperkitty, timeoutMs: opts.lookupTimeoutMs ?? 3000 }) : hyperkitty;
  const keepMs = opts.keepMs ?? 3_600_000;
  const retryMs = opts.retryMs ?? 60_000;
  const listUrls = new Map<string, { url: string | null; until: number; pending?: Promise<string | null> }>();

  async function hyperkittyListUrl(mlist: string): Promise<string | null> {
    if (!lookup) return null;
    const hit = listUrls.get(mlist);
    if (hit?.pending) return hit.pending;
    if (hit && hit.until > Date.now()) return hit.url;
    const pending = lookup.url(mlist);
    listUrls.set(mlist, { url: hit?.url ?? null, until: 0, pending });
    const url = await pending;
    // A URL once known stays usable while HyperKitty is away.
    const kept = url ?? hit?.url ?? null;
    if (kept === null) {
      opts.log?.warn({ list: mlist, retryInSeconds: retryMs / 1000 }, "HyperKitty gave no list URL; copies carry no HyperKitty List-Archive/Archived-At until it does");
    }
    listUrls.set(mlist, { url: kept, until: Date.now() + (url ? keepMs : retryMs) });
    if (listUrls.size > 10_000) listUrls.delete(listUrls.keys().next().value!);
    return kept;
  }

  return {
    config,
    offered,
    hyperkitty,
    async forPost(list, messageIdHash) {
      const archivers = activeArchivers(offered, list);
      if (archivers.length === 0 || !list.includeRfc2369Headers) return { archivers, links: [] };
      const mlist = postingAddress(list);
      const hyperkittyUrl = archivers.includes("hyperkitty") ? await hyperkittyListUrl(mlist) : null;
      const links = archivers.map((a) => archiveLink(a, {
        list: { listId: list.listId, postingAddress: mlist, archivePolicy: list.archivePolicy },
        messageIdHash,
        hyperkittyListUrl: hyperkittyUrl,
        mailArchiveUrl: config.mailArchive?.url ?? null,
        publicUrl: opts.publicUrl,
      }));
      return { archivers, links };
    },
  };
}
