// The archivers a list can use, by Mailman's names (config/schema.cfg [archiver.*]),
// and the pure rules around them: which ones the site offers, which ones a list has
// switched on, the RFC 2369 List-Archive / RFC 5064 Archived-At URLs each gives for a
// post, and the thread a post belongs to. No I/O; src/archivers/ does the sending.

/**
 * hyperkitty: Mailman's mailman-hyperkitty plugin; mail-archive: Mailman's
 * archiving/mailarchive.py; prototype: Mailman's built-in archiver, here the archive
 * mailroom keeps itself (ArchivedMessage) and serves under /lists/{list}/archive.
 */
export const ARCHIVER_NAMES = ["hyperkitty", "mail-archive", "prototype"] as const;
export type ArchiverName = (typeof ARCHIVER_NAMES)[number];

export type ArchivePolicy = "never" | "private" | "public";

/** What the site configured (Config.archivers): an archiver without its settings is not offered. */
export interface ArchiverSite {
  hyperkitty: object | null;
  mailArchive: object | null;
}

/** The archivers this site offers, in a fixed order. The built-in one needs no settings. */
export function offeredArchivers(site: ArchiverSite): ArchiverName[] {
  return ARCHIVER_NAMES.filter((n) => n === "prototype" || (n === "hyperkitty" ? site.hyperkitty : site.mailArchive) !== null);
}

/**
 * A list's switch per offered archiver: the list's stored choice, else on (Mailman's
 * ListArchiver takes the site's `enable: yes` as the list's default).
 */
export function archiverSwitches(offered: readonly ArchiverName[], stored: unknown): Record<string, boolean> {
  const chosen = (stored && typeof stored === "object" ? stored : {}) as Record<string, unknown>;
  return Object.fromEntries(offered.map((n) => [n, typeof chosen[n] === "boolean" ? chosen[n] : true]));
}

/** The archivers that take this list's posts: offered, switched on, and the list is archived at all. */
export function activeArchivers(offered: readonly ArchiverName[], list: { archivePolicy: ArchivePolicy; archivers: unknown }): ArchiverName[] {
  if (list.archivePolicy === "never") return [];
  const on = archiverSwitches(offered, list.archivers);
  return offered.filter((n) => on[n]);
}

/** One archiver's URLs for one post (Mailman's IArchiver list_url and permalink); null: none. */
export interface ArchiveLink {
  archiver: ArchiverName;
  listUrl: string | null;
  permalink: string | null;
}

/** What happens to one accepted post: the archivers that take it and its header links (src/archivers/site.ts). */
export interface PostArchiving {
  archivers: ArchiverName[];
  links: ArchiveLink[];
}

export interface LinkInputs {
  list: { listId: string; postingAddress: string; archivePolicy: ArchivePolicy };
  messageIdHash: string;
  /** HyperKitty's URL of the list (api/mailman/urls), when known. */
  hyperkittyListUrl: string | null;
  /** The mail-archive web base (ends in "/"). */
  mailArchiveUrl: string | null;
  /** MAILROOM_PUBLIC_URL (no trailing slash): where the built-in archive is reachable. */
  publicUrl: string | null;
}

/** The built-in archive's URL of a list, and of one post in it. */
export function builtinArchiveUrl(publicUrl: string, listId: string, messageIdHash?: string): string {
  const base = `${publicUrl}/lists/${encodeURIComponent(listId)}/archive`;
  return messageIdHash === undefined ? base : `${base}/messages/${encodeURIComponent(messageIdHash)}`;
}

/**
 * The URLs of one archiver for one post, as Mailman's archivers compute them:
 * HyperKitty's permalink is its message page under the list URL it reported (its
 * `hk_message_index` route: `<list url>message/<Message-ID-Hash>/`), so it is known
 * before HyperKitty has the post; mail-archive links only public lists.
 */
export function archiveLink(archiver: ArchiverName, x: LinkInputs): ArchiveLink {
  switch (archiver) {
    case "hyperkitty":
      return {
        archiver,
        listUrl: x.hyperkittyListUrl,
        permalink: x.hyperkittyListUrl ? `${x.hyperkittyListUrl}${x.hyperkittyListUrl.endsWith("/") ? "" : "/"}message/${x.messageIdHash}/` : null,
      };
    case "mail-archive":
      if (x.list.archivePolicy !== "public" || !x.mailArchiveUrl) return { archiver, listUrl: null, permalink: null };
      return { archiver, listUrl: x.mailArchiveUrl + encodeURIComponent(x.list.postingAddress), permalink: x.mailArchiveUrl + x.messageIdHash };
    case "prototype":
      if (!x.publicUrl) return { archiver, listUrl: null, permalink: null };
      return { archiver, listUrl: builtinArchiveUrl(x.publicUrl, x.list.listId), permalink: builtinArchiveUrl(x.publicUrl, x.list.listId, x.messageIdHash) };
  }
}

/**
 * The poster asked not to be archived (Mailman handlers/to_archive.py): an X-No-Archive
 * header with any value, or "X-Archive: no".
 */
export function posterOptedOut(get: (name: string) => string | undefined): boolean {
  return get("X-No-Archive") !== undefined || (get("X-Archive") ?? "").trim().toLowerCase() === "no";
}

const MSG_ID = /<[^<>\s]+>/g;

/**
 * The Message-IDs a post answers, nearest first: In-Reply-To, then References from
 * the last (the direct parent) back to the first (the thread's start), as the JWZ
 * threading algorithm reads them.
 */
export function parentCandidates(inReplyTo: string | undefined, references: string | undefined): string[] {
  const out: string[] = [];
  for (const id of inReplyTo?.match(MSG_ID) ?? []) if (!out.includes(id)) out.push(id);
  for (const id of (references?.match(MSG_ID) ?? []).reverse()) if (!out.includes(id)) out.push(id);
  return out;
}
