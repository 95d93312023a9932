// The list stage's finish for accepted posts, in batches per list: ONE statement
// completes the list jobs of every post waiting for that list, numbers them, stores
// their decorated copies, writes their "out" jobs and built-in archive rows
// (queue/transitions.ts completeTogether). It replaces, per post, an interactive
// transaction of 7-8 round trips that held the list's row lock from its post-number
// read to its commit, so that posts to one list went one at a time at the pace of
// those round trips.
//
// The post number: each batch is numbered from this process's idea of the list's
// next number (read from the row once, then carried on), and the statement moves the
// row's number on only if it still is that one, after the job rows are locked, so the
// row lock is held only for the rest of that statement and its commit. A batch finds
// a number taken (another process, an edit of the list) or a claim lost: nothing was
// written, and each of its posts is finished alone by list-queue.ts's locking path.
// A crash before the commit leaves every job of the batch to run again; after it, none.
//
// Only the common case comes here: an accepted post whose archivers are at most the
// built-in archive. Posts to HyperKitty or mail-archive take the locking path.
import type { Database } from "../db/client.js";
import { Prisma, type Job, type MailingList, type Message } from "../generated/prisma/client.js";
import type { ResolvedMember } from "../db/member-lookup.js";
import type { PostArchiving } from "../domain/archivers.js";
import { bouncesAddress } from "../domain/list-address.js";
import type { MessageContext } from "../domain/message-context.js";
import type { ListPostDelivery } from "../domain/out-job.js";
import { RawMessage } from "../domain/raw-message.js";
import type { Logger } from "../log.js";
import { builtinArchiveRow } from "../archivers/archive-post.js";
import { packBytes } from "../db/packed-bytes.js";
import { reserveLocal, type ClaimedJob, type PostRowColumns } from "../queue/jobs.js";
import { completeTogether, enqueueRowsSql, handedJob, handedRowsSql, runsHere, wakeLocal, type HandedRow } from "../queue/transitions.js";
import type { Post } from "./handlers/handler.js";
import { DECORATING_HANDLERS, runPipeline } from "./pipeline.js";

/** An accepted post ready to be numbered, decorated and finished. */
export interface AcceptedPost {
  job: Job;
  list: MailingList;
  message: Message;
  /** The post as the rules and the filtering handlers left it (undecorated, unnumbered). */
  base: Buffer;
  ctx: MessageContext;
  rosterRows: ResolvedMember[];
  archive: PostArchiving;
  decoration: { header: string; footer: string };
}

export interface ListFinisher {
  /** Resolves true once the post is committed with its batch; false when nothing of it was written (finish it alone). */
  finish(p: AcceptedPost): Promise<boolean>;
}

/** Posts per statement: bounds its size (each carries its copy's and its archive row's bytes). */
const MAX_BATCH = 32;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Statements tried for one batch before its posts are finished one by one (a lost claim fails them all). */
const BATCH_ATTEMPTS = 3;

interface Waiting { p: AcceptedPost; resolve(ok: boolean): void }
interface ListState { waiting: Waiting[]; busy: boolean; next: number | null }

export function createListFinisher(opts: {
  db: Database;
  log: Logger;
  /** Delivery's out jobs for a post row (list-queue.ts ListQueueDeps.outJobsOfRow); unset: its list-post job. */
  outJobsOfRow?: (listPk: number, personalize: ListPostDelivery["personalize"], row: PostRowColumns) => Prisma.Sql;
}): ListFinisher {
  const lists = new Map<number, ListState>();

  async function flush(listPk: number, st: ListState): Promise<void> {
    st.busy = true;
    try {
      while (st.waiting.length) {
        const batch = takeBatch(st.waiting);
        let ok = false;
        try {
          // A refused batch is tried again from the row's number: what refuses it is
          // most often a number moved on by another process, an edit of the list or
          // the last batch's posts finished alone, and posts finished alone take the
          // row lock one by one (and make the next batch's number stale too).
          for (let attempt = 0; !ok && attempt < BATCH_ATTEMPTS; attempt++) {
            const first = (attempt === 0 ? st.next : null) ?? await readPostId(listPk);
            ok = await write(batch.map((w) => w.p), first);
            st.next = ok ? first + batch.length : null;
          }
        } catch (err) {
          // One post the statement cannot take must not fail the others: each goes alone.
          opts.log.warn({ list: batch[0]!.p.list.listId, posts: batch.length, err: (err as Error).message }, "batch finish failed; posts finished one by one");
          st.next = null;
        }
        for (const w of batch) w.resolve(ok);
      }
    } finally {
      // The state (and its next number) is kept: a list's next burst needs no read.
      st.busy = false;
    }
  }

  async function readPostId(listPk: number): Promise<number> {
    const row = await opts.db.prisma.mailingList.findUnique({ where: { id: listPk }, select: { postId: true } });
    if (!row) throw new Error("list gone");
    return row.postId;
  }

  async function write(posts: AcceptedPost[], first: number): Promise<boolean> {
    const made = await Promise.all(posts.map((p, i) => decorate(p, first + i)));
    const local = runsHere("out");
    // This process's delivery worker takes what it has room for already claimed: a
    // small list's post makes one chunk job, which then needs no claim of its own.
    const slots = local ? reserveLocal("out", made.filter((m) => m.ctx.outgoing).length) : null;
    let handed: ClaimedJob[] = [];
    try {
      const done = await finish(made, first, local, slots?.slots ?? 0, slots?.messageBytes ?? 0);
      handed = done.handed;
      return done.ok;
    } finally {
      slots?.start(handed);
    }
  }

  /**
   * The batch's statement; `handed`: how many of its out jobs to insert claimed by this
   * process, which come back with their copy when it is at most `messageBytes`.
   */
  async function finish(made: Made[], first: number, local: boolean, handed: number, messageBytes: number): Promise<{ ok: boolean; handed: ClaimedJob[] }> {
    const posts = made.map((m) => m.p);
    const list = posts[0]!.list;
    // Every value of the batch is an array parameter, one element per post, so that the
    // statement's text is the same for every batch of the list's settings (a prepared
    // statement: transitions.ts completeTogether); the out jobs of each post come from a
    // LATERAL over its row. Ragged arrays (recipients, excluded keys, thread
    // candidates) go as one JSON text per post.
    const col = <T>(f: (m: Made, i: number) => T) => made.map(f);
    const archives = col((m) => m.ctx.archive && m.archiveCopy && m.p.archive.archivers.includes("prototype")
      ? builtinArchiveRow(list.id, m.p.message.messageId, m.p.message.messageIdHash, m.archiveCopy) : null);
    const outJobs = (row: PostRowColumns) => opts.outJobsOfRow
      ? opts.outJobsOfRow(list.id, list.personalize, row)
      : Prisma.sql`SELECT NULL::text AS recipient, ${row.post} AS data`;
    // The copies' and archive rows' bytes: one binary parameter, sliced in SQL (db/packed-bytes.ts).
    const bytes = packBytes([...made.map((m) => m.out), ...archives.map((a) => a?.row.raw)]);
    const at = (k: number) => bytes.offsets.slice(k * made.length, (k + 1) * made.length);
    const len = (k: number) => bytes.lengths.slice(k * made.length, (k + 1) * made.length);
    const alongside = Prisma.sql`input AS (
        SELECT i.*, substring(b.blob from i.raw_at + 1 for i.size) AS raw,
          substring(b.blob from i.archive_at + 1 for i.archive_size) AS archive_raw
        FROM (SELECT ${bytes.blob}::bytea AS blob) AS b,
        unnest(${col((m) => m.p.job.id)}::bigint[], ${col((m) => m.p.message.messageId)}::text[],
          ${col((m) => m.p.message.messageIdHash)}::text[], ${col((m) => JSON.stringify(m.p.message.rcptTo))}::text[],
          ${len(0)}::int[], ${at(0)}::int[], ${col((m) => m.ctx.outgoing === true)}::boolean[],
          ${col((m) => JSON.stringify(listPostOf(m)))}::text[], ${col((m) => JSON.stringify(excludeOf(m)))}::text[],
          ${archives.map((a) => a !== null)}::boolean[], ${at(1)}::int[], ${len(1)}::int[],
          ${archives.map((a) => a?.row.subject ?? null)}::text[], ${archives.map((a) => a?.row.sender ?? null)}::text[],
          ${archives.map((a) => a?.row.sentAt ?? null)}::timestamptz[], ${archives.map((a) => JSON.stringify(a?.candidates ?? []))}::text[])
          WITH ORDINALITY AS i (job, "messageId", "messageIdHash", rcpt, size, raw_at, outgoing, post, exclude,
            archive, archive_at, archive_size, subject, sender, sent, candidates, ord)
      ), ids AS MATERIALIZED (
        SELECT ord, nextval('"Message_id_seq"'::regclass) AS id FROM input WHERE EXISTS (SELECT 1 FROM settled)
      ), copies AS (
        INSERT INTO "Message" (id, "messageId", "messageIdHash", "mailFrom", "rcptTo", size, raw)
        SELECT ids.id, i."messageId", i."messageIdHash", ${bouncesAddress(list.listName, list.mailHost)}::text,
          ARRAY(SELECT jsonb_array_elements_text(i.rcpt::jsonb)), i.size, i.raw
        FROM input i JOIN ids USING (ord)
        RETURNING id
      ), ${enqueueRowsSql("out", list.listId, Prisma.sql`
        SELECT ids.id AS message_id, o.recipient, o.data FROM input i JOIN ids USING (ord)
        CROSS JOIN LATERAL (${outJobs({
          exclude: Prisma.sql`ARRAY(SELECT jsonb_array_elements_text(i.exclude::jsonb))`, parent: Prisma.sql`i.job::text`, post: Prisma.sql`i.post::jsonb`,
        })}) AS o
        WHERE i.outgoing`, local, handed)}, archived AS (
        INSERT INTO "ArchivedMessage" ("listId", "messageId", "messageIdHash", raw, subject, sender, "sentAt", "parentHash", "threadHash")
        SELECT ${list.id}::int, i."messageId", i."messageIdHash", i.archive_raw, i.subject, i.sender, i.sent,
          p."messageIdHash", coalesce(nullif(p."threadHash", ''), i."messageIdHash")
        FROM input i
        LEFT JOIN LATERAL (
          SELECT k."messageIdHash", k."threadHash" FROM jsonb_array_elements_text(i.candidates::jsonb) WITH ORDINALITY AS c (h, n)
          -- Per candidate, the first hash from it on in (listId, messageIdHash) order, then
          -- checked equal: only that index gives the order, so a generic plan made on a
          -- small table cannot take the (listId, threadHash) index instead, which it did for
          -- a plain equality and then read the list's whole archive for every candidate.
          CROSS JOIN LATERAL (SELECT "messageIdHash", "threadHash" FROM "ArchivedMessage"
            WHERE "listId" = ${list.id}::int AND "messageIdHash" >= c.h ORDER BY "messageIdHash" LIMIT 1) AS k
          WHERE k."messageIdHash" = c.h
          ORDER BY c.n LIMIT 1) AS p ON true
        WHERE i.archive AND EXISTS (SELECT 1 FROM settled)
        -- The same post archived again (a moderator accepted a copy of it): kept once.
        ON CONFLICT ("listId", "messageIdHash") DO NOTHING
        RETURNING 1
      )`;
    // The list row last: its lock is held for the rest of this statement and its commit.
    const gate = Prisma.sql`UPDATE "MailingList" SET "postId" = "postId" + ${posts.length}::int
      WHERE id = ${list.id}::int AND "postId" = ${first}::int AND (SELECT ok FROM held) RETURNING id`;
    // The out jobs inserted claimed; whether any were left ready (for this process's worker to claim).
    const reads = Prisma.sql`json_build_object('woken', (SELECT count(*) FROM enqueue_woken),
      'ready', (SELECT count(*) FROM enqueued WHERE state = 'ready'), 'handed', ${Prisma.raw(handedRowsSql("enqueued", "ids"))})`;
    const { ok, reads: out } = await completeTogether<{ ready: number; handed: HandedRow[] }>(
      opts.db, posts.map((p) => p.job), gate, alongside, reads);
    if (!ok) return { ok, handed: [] };
    if (local && out.ready > 0) wakeLocal("out");
    return {
      ok,
      handed: out.handed.map((r) => {
        const m = made[r.ord - 1]!;
        return handedJob(r, { ...m.p.message, mailFrom: bouncesAddress(list.listName, list.mailHost), raw: m.out }, messageBytes);
      }),
    };
  }

  /** The list-post job's data for a post (its chunk jobs' source when the list is big). */
  function listPostOf(m: Made): ListPostDelivery {
    return { kind: "list-post", listId: m.p.list.listId, exclude: m.ctx.exclude ?? [], personalize: m.p.list.personalize };
  }

  function excludeOf(m: Made): string[] {
    return (m.ctx.exclude ?? []).map((a) => a.toLowerCase());
  }

  return {
    finish(p) {
      return new Promise<boolean>((resolve) => {
        let st = lists.get(p.list.id);
        if (!st) lists.set(p.list.id, (st = { waiting: [], busy: false, next: null }));
        st.waiting.push({ p, resolve });
        if (!st.busy) void flush(p.list.id, st);
      });
    },
  };
}

type Made = Awaited<ReturnType<typeof decorate>>;

/** Numbers and decorates a copy of the post: the handlers edit the post and its context, and a batch that fails is done again from `base`. */
async function decorate(p: AcceptedPost, postId: number) {
  const ctx: MessageContext = { ...structuredClone(p.ctx), postId };
  const post: Post = { msg: RawMessage.parse(p.base), list: p.list, ctx, rosterRows: p.rosterRows, archive: p.archive, decoration: p.decoration };
  await runPipeline(post, DECORATING_HANDLERS);
  return { p, ctx, out: post.msg.toBuffer(), archiveCopy: post.archiveCopy };
}

/**
 * The next posts to finish together. A post that answers another one in the batch
 * starts the next batch: its archive thread is looked up among the posts already
 * archived, which the one it answers is only once its batch committed. So does a post
 * whose list row (read when it was claimed) has another `personalize` than the
 * first's: the statement makes every post's out jobs from one value (write()), and a
 * post must go out as the list was when it was claimed. Exported for tests.
 */
export function takeBatch<W extends { p: Pick<AcceptedPost, "base" | "message"> & { list: Pick<AcceptedPost["list"], "personalize"> } }>(waiting: W[]): W[] {
  const hashes = new Set<string>();
  const personalize = waiting[0]?.p.list.personalize;
  let bytes = 0;
  let n = 0;
  for (; n < waiting.length && n < MAX_BATCH; n++) {
    const p = waiting[n]!.p;
    if (n > 0 && (bytes + p.base.length > MAX_BATCH_BYTES || answersOneOf(p.base, hashes) || p.list.personalize !== personalize)) break;
    bytes += p.base.length;
    hashes.add(p.message.messageIdHash);
  }
  return waiting.splice(0, Math.max(1, n));
}

/** Whether the post's In-Reply-To or References name a post of `hashes` (a cheap over-estimate: any mention cuts the batch). */
function answersOneOf(raw: Buffer, hashes: Set<string>): boolean {
  if (hashes.size === 0) return false;
  const { candidates } = builtinArchiveRow(0, "", "", raw);
  return candidates.some((h) => hashes.has(h));
}
