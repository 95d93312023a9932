// Mailing lists: create (under an existing domain), read by list id or posting
// address, keyset-paginated listing, settings patch, delete. Creates and deletes
// regenerate the Postfix maps in the same transaction; every change NOTIFYs
// mailroom_lists so other processes drop cached lookups. Called by api/lists and by
// any service that takes a `{list}` reference (members, moderation, subscriptions).
import type { MailingList, Prisma } from "../generated/prisma/client.js";
import { parseAddress } from "../domain/address.js";
import { conflict, invalid, notFound } from "../domain/errors.js";
import { listIdOf } from "../domain/list-address.js";
import type { Tx } from "../db/client.js";
import type { ServiceDeps } from "./deps.js";
import { ListViewCache, type CachedList } from "./list-cache.js";
import { LISTS_CHANNEL, notifyListsChanged } from "./notify.js";
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from "./pagination.js";
import { hashPassword } from "./password-hash.js";
import { checkSettings, defaultDisplayName, listView, type ListSettingsInput, type ListView } from "./list-settings.js";
import { inMapsTransaction, inTransaction, lockDomain } from "./transaction.js";

// A list name is the local part of the posting address; "+" would clash with VERP
// and sub-address extensions, and the name is also the first label(s) of the list id.
const LIST_NAME = /^[a-z0-9](?:[a-z0-9_-]|\.(?!\.))*(?<!\.)$/;

/**
 * `{list}` in a path is the list id (`mylist.example.com`) or the posting address
 * (`mylist@example.com`); both name one list id. Null when it can name no list.
 */
export function listIdFromRef(ref: string): string | null {
  const text = ref.trim().toLowerCase();
  // No list id has control characters, and PostgreSQL refuses NUL in a text parameter.
  if (/[\x00-\x1f\x7f]/.test(text)) return null;
  if (text.includes("@")) {
    const a = parseAddress(text);
    return a ? listIdOf(a.localPart.toLowerCase(), a.domain) : null;
  }
  return text.length > 0 && text.length <= 320 ? text : null;
}

const SELECT_BY_LIST_ID = `SELECT * FROM "MailingList" WHERE "listId" = $1`;

export interface NewList extends ListSettingsInput {
  address: string;
}

export interface ListQuery extends PageRequest {
  domain?: string;
  /** true: advertised lists only (a public index); false: hidden ones only. */
  advertised?: boolean;
}

async function settingsData(input: ListSettingsInput): Promise<Prisma.MailingListUncheckedUpdateInput> {
  const { moderatorPassword, headerMatches, ...rest } = checkSettings(input);
  const data: Prisma.MailingListUncheckedUpdateInput = { ...rest };
  if (headerMatches !== undefined) data.headerMatches = headerMatches as unknown as Prisma.InputJsonValue;
  if (moderatorPassword !== undefined) {
    data.moderatorPassword = moderatorPassword === null || moderatorPassword === "" ? null : await hashPassword(moderatorPassword);
  }
  return data;
}

/** The list row for a `{list}` reference, or 404; `client` may be a transaction. The one lookup every service uses. */
export async function requireList(client: Tx, ref: string): Promise<MailingList> {
  const listId = listIdFromRef(ref);
  // Raw SQL: same row, a fraction of findUnique's cost on this wide table (see get()).
  const row = listId ? (await client.$queryRaw<MailingList[]>`SELECT * FROM "MailingList" WHERE "listId" = ${listId}`)[0] : null;
  if (!row) throw notFound(`list ${ref} does not exist`);
  return row;
}

export function createListService(deps: ServiceDeps) {
  const { db, log } = deps;
  const cache = new ListViewCache();
  function changed(listId: string): void {
    cache.invalidate(listId);
  }
  // Other processes' changes arrive as NOTIFY at their commit; until LISTEN is up the cache stays off.
  const caching = db.listen(LISTS_CHANNEL, (payload) => cache.invalidate(payload || "*")).then(
    () => (cache.live = true),
    (err: Error) => {
      log.warn({ err: err.message }, "no LISTEN on mailroom_lists; list reads are not cached");
      return false;
    },
  );

  /** The list row for a `{list}` reference, or 404. Works on `tx` inside a transaction. */
  const requireListHere = (ref: string, client: Tx = db.prisma) => requireList(client, ref);

  async function cachedList(listId: string): Promise<CachedList | undefined> {
    const cached = cache.get(listId);
    if (cached) return cached;
    const token = cache.token();
    const session = await db.session();
    try {
      const [row] = await session.query<MailingList>(SELECT_BY_LIST_ID, [listId]);
      if (!row) return undefined;
      const entry = { id: row.id, view: listView(row) };
      cache.set(listId, entry, token);
      return entry;
    } finally {
      await session.release();
    }
  }

  return {
    requireList: requireListHere,
    /** Resolves true once list objects are cached (LISTEN is up), false if they never will be. */
    caching,

    /** Lists by offset (Mailman's ?count=&page=), by list id; optionally of one domain or only advertised ones. */
    async offsetPage(q: { domain?: string; advertised?: boolean }, offset: number, limit: number | null): Promise<{ total: number; items: ListView[] }> {
      const where: Prisma.MailingListWhereInput = {
        ...(q.domain ? { mailHost: q.domain.toLowerCase() } : {}), ...(q.advertised ? { advertised: true } : {}),
      };
      const [rows, total] = await Promise.all([
        db.prisma.mailingList.findMany({ where, orderBy: { listId: "asc" }, skip: offset, ...(limit === null ? {} : { take: limit }) }),
        db.prisma.mailingList.count({ where }),
      ]);
      return { total, items: rows.map(listView) };
    },

    /** Members (role member) of each list, by list id. */
    async memberCounts(listIds: string[]): Promise<Map<string, number>> {
      if (listIds.length === 0) return new Map();
      const rows = await db.prisma.$queryRaw<{ listId: string; n: bigint }[]>`
        SELECT l."listId", (SELECT count(*) FROM "Member" m WHERE m."listId" = l.id AND m.role = 'member') AS n
          FROM "MailingList" l WHERE l."listId" = ANY(${listIds}::text[])`;
      return new Map(rows.map((r) => [r.listId, Number(r.n)]));
    },

    /** Mailman settings mailroom stores but does not act on (docs/mailman-api.md). */
    async mailmanSettings(ref: string): Promise<Record<string, unknown>> {
      const row = await requireList(db.prisma, ref);
      return (row.mailmanSettings ?? {}) as Record<string, unknown>;
    },

    async setMailmanSettings(ref: string, patch: Record<string, unknown>): Promise<void> {
      await inTransaction(db, async (tx) => {
        const row = await requireList(tx, ref);
        const merged = { ...(row.mailmanSettings as Record<string, unknown> ?? {}), ...patch };
        await tx.mailingList.update({ where: { id: row.id }, data: { mailmanSettings: merged as Prisma.InputJsonValue } });
      });
    },

    async create(input: NewList): Promise<ListView> {
      const { address: rawAddress, ...settings } = input;
      const a = parseAddress(rawAddress);
      if (!a) throw invalid(`address: "${rawAddress}" is not a valid email address`);
      const listName = a.localPart.toLowerCase();
      if (!LIST_NAME.test(listName)) {
        throw invalid(`address: list name "${listName}" may only contain letters, digits, ".", "_" and "-"`);
      }
      const mailHost = a.domain;
      const listId = listIdOf(listName, mailHost);
      const displayName = settings.displayName ?? defaultDisplayName(listName);
      const data = await settingsData({ displayName, subjectPrefix: `[${displayName}] `, ...settings });
      const view = await inMapsTransaction(deps, async (tx, regenerateMaps) => {
        const domain = await lockDomain(tx, { mailHost });
        if (!domain) throw invalid(`domain ${mailHost} does not exist; create it first with POST /domains`);
        if (await tx.mailingList.findUnique({ where: { listId }, select: { id: true } })) {
          throw conflict(`list ${listId} already exists`);
        }
        const row = await tx.mailingList.create({
          data: { ...(data as Prisma.MailingListUncheckedCreateInput), listName, mailHost, listId, domainId: domain.id },
        });
        await regenerateMaps({ lists: [listId] });
        await notifyListsChanged(tx, listId);
        return listView(row);
      });
      // A new name changes what neighbouring names mean ("a-request" next to "a").
      changed(listId);
      return view;
    },

    /**
     * The hot read (GET /lists/{list}): from the in-process cache, else one indexed probe
     * as plain SQL on a session of its own (Prisma's findUnique costs 2–5× more per call
     * for this 48-column row).
     */
    async get(ref: string): Promise<ListView> {
      const listId = listIdFromRef(ref);
      if (listId) {
        const entry = await cachedList(listId);
        if (entry) return entry.view;
      }
      throw notFound(`list ${ref} does not exist`);
    },

    /**
     * The primary key and list id for a `{list}` reference, from the cache when it can:
     * for callers that only need to know which list (members). 404 if there is none.
     * Not inside a transaction (it reads outside it, on another connection, and
     * would not see the transaction's own changes): use requireList(ref, tx) there.
     */
    async lookup(ref: string): Promise<{ id: number; listId: string }> {
      const listId = listIdFromRef(ref);
      const entry = listId ? await cachedList(listId) : undefined;
      if (!entry) throw notFound(`list ${ref} does not exist`);
      return { id: entry.id, listId: entry.view.listId };
    },

    /** Forget cached list objects after a change this process committed ("*": all), here and in every subscriber. */
    changed,

    async list(query: ListQuery): Promise<Page<ListView>> {
      const limit = pageLimit(query.limit);
      const after = decodeCursor(query.cursor);
      const where: Prisma.MailingListWhereInput = {
        ...(query.domain ? { mailHost: query.domain.trim().toLowerCase() } : {}),
        ...(query.advertised !== undefined ? { advertised: query.advertised } : {}),
      };
      const [rows, total] = await Promise.all([
        db.prisma.mailingList.findMany({ where: { ...where, id: { gt: after } }, orderBy: { id: "asc" }, take: limit + 1 }),
        db.prisma.mailingList.count({ where }),
      ]);
      return toPage(rows, limit, total, listView);
    },

    async update(ref: string, patch: ListSettingsInput): Promise<ListView> {
      const data = await settingsData(patch);
      const view = await inTransaction(db, async (tx) => {
        const current = await requireList(tx, ref);
        const row = await tx.mailingList.update({ where: { id: current.id }, data });
        await notifyListsChanged(tx, row.listId);
        return listView(row);
      });
      changed(view.listId);
      return view;
    },

    /** Deletes the list with its members, held messages, requests and archive. */
    async remove(ref: string): Promise<void> {
      const listId = await inMapsTransaction(deps, async (tx, regenerateMaps) => {
        const current = await requireList(tx, ref);
        // Domain first (see lockDomain); a concurrent delete of the list or its domain makes this a 404.
        const gone = !(await lockDomain(tx, { id: current.domainId })) || (await tx.mailingList.deleteMany({ where: { id: current.id } })).count === 0;
        if (gone) throw notFound(`list ${ref} does not exist`);
        // Its template overrides go with it (a list made again under the name starts clean).
        await tx.template.deleteMany({ where: { scope: "list", scopeKey: current.listId } });
        await regenerateMaps({ lists: [current.listId] });
        await notifyListsChanged(tx, current.listId);
        return current.listId;
      });
      changed(listId);
    },
  };
}

export type ListService = ReturnType<typeof createListService>;
