// The built-in archive (Mailman's "prototype" archiver, here served over the native
// REST API): its index by date, by thread, and a post's bytes by Message-ID-Hash;
// and each list's archiver switches (Mailman's ListArchiverSet), for the native
// and the /3.1 archivers resources. Posts are written by src/archivers/archive-post.ts.
import type { Prisma } from "../generated/prisma/client.js";
import { archiverSwitches, offeredArchivers, type ArchivePolicy } from "../domain/archivers.js";
import { invalid, notFound } from "../domain/errors.js";
import type { ServiceDeps } from "./deps.js";
import { requireList } from "./lists.js";
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from "./pagination.js";
import { inTransaction } from "./transaction.js";

export interface ArchivedPost {
  messageIdHash: string;
  messageId: string;
  subject: string;
  sender: string;
  /** The post's Date header; null when it had none that parses. */
  date: string | null;
  archivedAt: string;
  threadHash: string;
  parentHash: string | null;
}

export interface ArchiveThread {
  threadHash: string;
  subject: string;
  startedAt: string;
  lastPostAt: string;
  count: number;
  /** Thread order: each post followed by its replies (depth-first, replies by arrival). */
  posts: (ArchivedPost & { depth: number })[];
}

const POST_FIELDS = {
  id: true, messageIdHash: true, messageId: true, subject: true, sender: true, sentAt: true, archivedAt: true, threadHash: true, parentHash: true,
} as const;
type PostRow = Prisma.ArchivedMessageGetPayload<{ select: typeof POST_FIELDS }>;

const postView = (r: Omit<PostRow, "id">): ArchivedPost => ({
  messageIdHash: r.messageIdHash, messageId: r.messageId, subject: r.subject, sender: r.sender,
  date: r.sentAt?.toISOString() ?? null, archivedAt: r.archivedAt.toISOString(), threadHash: r.threadHash, parentHash: r.parentHash,
});

// Archive ids are BigInt; pages use the shared integer cursor.
const withNumberId = <R extends { id: bigint }>(r: R) => ({ ...r, id: Number(r.id) });

export function createArchiveService(deps: ServiceDeps) {
  const { db, config } = deps;
  const offered = offeredArchivers(config.archivers);

  return {
    /** The archivers this site offers, by Mailman's names. */
    offered,

    /** The list's archivePolicy, for the read routes' access rule; 404 when there is no such list. */
    async policy(ref: string): Promise<ArchivePolicy> {
      return (await requireList(db.prisma, ref)).archivePolicy;
    },

    /** {name: on} for each archiver the site offers (Mailman's GET lists/{l}/archivers). */
    async switches(ref: string): Promise<Record<string, boolean>> {
      return archiverSwitches(offered, (await requireList(db.prisma, ref)).archivers);
    },

    /**
     * Switches archivers on or off. A name the site does not offer is a 400 (Mailman's
     * "Unexpected parameters"); `all` (PUT) requires every offered one.
     */
    async setSwitches(ref: string, changes: Record<string, boolean>, opts: { all: boolean }): Promise<Record<string, boolean>> {
      const unknown = Object.keys(changes).filter((k) => !(offered as string[]).includes(k));
      if (unknown.length > 0) throw invalid(`Unexpected parameters: ${unknown.sort().join(", ")}`);
      const missing = opts.all ? offered.filter((n) => !(n in changes)) : [];
      if (missing.length > 0) throw invalid(`Missing parameters: ${missing.join(", ")}`);
      return inTransaction(db, async (tx) => {
        const row = await requireList(tx, ref);
        // Merged in the statement: two processes switching different archivers at once both count.
        const [updated] = await tx.$queryRaw<{ archivers: Record<string, boolean> }[]>`
          UPDATE "MailingList" SET archivers = COALESCE(archivers, '{}'::jsonb) || ${JSON.stringify(changes)}::jsonb
          WHERE id = ${row.id} RETURNING archivers`;
        return archiverSwitches(offered, updated?.archivers ?? changes);
      });
    },

    /** The archive by date: oldest first (the order posts were archived in). */
    async byDate(ref: string, q: PageRequest): Promise<Page<ArchivedPost>> {
      const list = await requireList(db.prisma, ref);
      const limit = pageLimit(q.limit);
      const after = decodeCursor(q.cursor);
      const [rows, total] = await Promise.all([
        db.prisma.archivedMessage.findMany({ where: { listId: list.id, id: { gt: after } }, orderBy: { id: "asc" }, take: limit + 1, select: POST_FIELDS }),
        db.prisma.archivedMessage.count({ where: { listId: list.id } }),
      ]);
      return toPage(rows.map(withNumberId), limit, total, postView);
    },

    /** The archive by thread: threads in the order they started, each in thread order. */
    async byThread(ref: string, q: PageRequest): Promise<Page<ArchiveThread>> {
      const list = await requireList(db.prisma, ref);
      const limit = pageLimit(q.limit);
      const after = decodeCursor(q.cursor);
      // A thread's first post is the one whose hash is the thread's.
      const [starts, total] = await Promise.all([
        db.prisma.$queryRaw<{ id: bigint; threadHash: string }[]>`
          SELECT id, "threadHash" FROM "ArchivedMessage"
           WHERE "listId" = ${list.id} AND "messageIdHash" = "threadHash" AND id > ${after}
           ORDER BY id LIMIT ${limit + 1}`,
        db.prisma.$queryRaw<{ n: bigint }[]>`
          SELECT count(*) AS n FROM "ArchivedMessage" WHERE "listId" = ${list.id} AND "messageIdHash" = "threadHash"`,
      ]);
      const shown = starts.slice(0, limit).map((s) => s.threadHash);
      const rows = shown.length === 0 ? [] : await db.prisma.archivedMessage.findMany({
        where: { listId: list.id, threadHash: { in: shown } }, orderBy: { id: "asc" }, select: POST_FIELDS,
      });
      const threads = new Map(shown.map((h) => [h, [] as PostRow[]]));
      for (const r of rows) threads.get(r.threadHash)?.push(r);
      return toPage(starts.map(withNumberId), limit, Number(total[0]?.n ?? 0), (s) => threadView(s.threadHash, threads.get(s.threadHash) ?? []));
    },

    /** A post's bytes as archived; 404 when this list's archive has no such post. */
    async raw(ref: string, hash: string): Promise<Buffer> {
      const list = await requireList(db.prisma, ref);
      const row = await db.prisma.archivedMessage.findUnique({
        where: { listId_messageIdHash: { listId: list.id, messageIdHash: hash.toUpperCase() } }, select: { raw: true },
      });
      if (!row) throw notFound(`no post with Message-ID-Hash ${hash} in the archive of ${list.listId}`);
      return Buffer.from(row.raw);
    },
  };
}

/** Orders a thread's posts (by arrival) depth-first under their parents. */
function threadView(threadHash: string, rows: PostRow[]): ArchiveThread {
  const children = new Map<string | null, PostRow[]>();
  const inThread = new Set(rows.map((r) => r.messageIdHash));
  for (const r of rows) {
    const parent = r.messageIdHash === threadHash ? null : r.parentHash && inThread.has(r.parentHash) ? r.parentHash : threadHash;
    const siblings = children.get(parent);
    if (siblings) siblings.push(r);
    else children.set(parent, [r]);
  }
  // Depth-first with an explicit stack: a reply chain thousands deep (anyone can post
  // one to a public archive) must not overflow the call stack.
  const posts: ArchiveThread["posts"] = [];
  const stack: { row: PostRow; depth: number }[] = (children.get(null) ?? []).map((row) => ({ row, depth: 0 })).reverse();
  for (let next = stack.pop(); next; next = stack.pop()) {
    posts.push({ ...postView(next.row), depth: next.depth });
    const kids = children.get(next.row.messageIdHash) ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ row: kids[i]!, depth: next.depth + 1 });
  }
  const first = rows[0];
  const last = rows[rows.length - 1];
  return {
    threadHash, subject: first?.subject ?? "", startedAt: first?.archivedAt.toISOString() ?? "",
    lastPostAt: last?.archivedAt.toISOString() ?? "", count: rows.length, posts,
  };
}
