// The "list" queue handler (Mailman runners/incoming.py + runners/pipeline.py): for
// each post LMTP queued, run the rule chain, then act on the Decision — discard,
// reject with a notice, hold for the moderators, or run the pipeline handlers and
// hand the post to delivery. Every outcome commits in one transaction together with
// the completion of the job, so a crash repeats a post's processing, never half of it.
// An accepted post is finished with the other posts to its list waiting at the same
// moment, in one statement (list-finisher.ts); the rest, and any post a batch could
// not take, in a transaction of its own under the list's row lock (finish below).
// Registered by workers.ts.
import type { Database, Tx } from "../db/client.js";
import type { MailingList, Message, Prisma } from "../generated/prisma/client.js";
import type { ResolvedMember } from "../db/member-lookup.js";
import type { HeaderPattern } from "../domain/header-patterns.js";
import { bouncesAddress } from "../domain/list-address.js";
import { newContext, type Decision, type MessageContext } from "../domain/message-context.js";
import type { ListPostDelivery } from "../domain/out-job.js";
import { RawMessage } from "../domain/raw-message.js";
import type { Logger } from "../log.js";
import { enqueue, enqueueQuery, type ClaimedJob, type Job, type PostRowColumns } from "../queue/jobs.js";
import { complete } from "../queue/transitions.js";
import { PermanentFailure, type Handled, type JobHandler } from "../queue/runner.js";
import { holdPost, rejectPost, type ListJobData } from "../services/moderation.js";
import { verifyPassword } from "../services/password-hash.js";
import { createNoticeService, type NoticeService } from "../services/notices.js";
import { createTemplateLoader, DEFAULT_TEMPLATE_SETTINGS, type TemplateLoader } from "../services/template-loader.js";
import { forwardFilteredPost } from "../services/filter-notice.js";
import { runChain } from "./chain.js";
import { archivePost, builtinOnly } from "../archivers/archive-post.js";
import { createListFinisher, type ListFinisher } from "./list-finisher.js";
import { createListReads, type ReadForPost } from "./list-reads.js";
import { createArchiveSite, type ArchiveSite } from "../archivers/site.js";
import type { DmarcResolver } from "./dmarc.js";
import type { Post } from "./handlers/handler.js";
import { DECORATING_HANDLERS, FILTERING_HANDLERS, runPipeline, type PipelineStop } from "./pipeline.js";
import { destinations } from "./rules/rule.js";
import { semaphore } from "../domain/semaphore.js";

export interface ListQueueDeps {
  db: Database;
  /** Held and rejected notices and the list's header and footer (services.notices, services.templateLoader); unset: shipped templates and site defaults only. */
  templating?: { notices: NoticeService; templates: TemplateLoader };
  log: Logger;
  dmarc: DmarcResolver;
  /** The site's suspicious-header lines (site-headers.ts reads them at start). */
  suspiciousHeaders?: readonly HeaderPattern[];
  /** The site's archivers; default: only the built-in archive, without URLs. */
  archives?: ArchiveSite;
  /** Posts processed at once in this process. */
  concurrency?: number;
  /**
   * Delivery's "out" jobs for an accepted post, as a (recipient, data) query (workers.ts
   * passes delivery's outJobsFor): the chunk jobs themselves for a list whose roster
   * fits one chunk, else the list-post job. Unset: always the list-post job.
   */
  outJobs?: (listPk: number, post: ListPostDelivery, parent: bigint) => Prisma.Sql;
  /** The same for the batch finish, over a post row's columns (delivery's outJobsOfRow, expand.ts). Unset: the list-post job. */
  outJobsOfRow?: (listPk: number, personalize: ListPostDelivery["personalize"], row: PostRowColumns) => Prisma.Sql;
  /** The list stage's reads, shared by the posts asking at the same moment (list-reads.ts); made on first use. */
  reads?: ReadForPost;
  /** Finishes accepted posts in batches per list (list-finisher.ts); made on first use. */
  finisher?: ListFinisher;
}

const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 };
const BUILTIN_ONLY = createArchiveSite();

/** Posts up to this size are read by the claim; a bigger one is read by its handler, a few at a time. */
const CLAIMED_BYTES = 1024 * 1024;
/** Bigger posts handled at once: 16 posts in flight of up to MAILROOM_MAX_MESSAGE_SIZE each would be gigabytes. */
const BIG_POSTS_AT_ONCE = 2;

export function createListQueueHandler(deps: ListQueueDeps): JobHandler {
  const bigPosts = semaphore(BIG_POSTS_AT_ONCE);
  return {
    queue: "list",
    // Posts in flight: those waiting for their list's batch are finished together (list-finisher.ts).
    concurrency: deps.concurrency ?? 16,
    maxAttempts: 5,
    // A post's bytes are read by the claim (one round trip less), up to CLAIMED_BYTES.
    messageBytes: CLAIMED_BYTES,
    async handle(job, ctx) {
      if (job.message || job.messageId === null) return processPost(deps, job, ctx.log);
      const release = await bigPosts.acquire();
      try {
        return await processPost(deps, job, ctx.log);
      } finally {
        release();
      }
    },
  };
}

/** Lower-case keys of From, Sender and the envelope sender, in that order, without repeats. */
function sendersOf(msg: RawMessage, mailFrom: string): string[] {
  const all = [...msg.addresses("From"), ...msg.addresses("Sender")].map((a) => a.address.toLowerCase());
  if (mailFrom) all.push(mailFrom.toLowerCase());
  return [...new Set(all)];
}

function templatingOf(deps: ListQueueDeps): { notices: NoticeService; templates: TemplateLoader } {
  if (!deps.templating) {
    const templates = createTemplateLoader({ config: { templates: DEFAULT_TEMPLATE_SETTINGS }, log: deps.log });
    deps.templating = { templates, notices: createNoticeService(templates, { siteOwner: null }) };
  }
  return deps.templating;
}

/** "settled" when the finishing transaction completed the job; "complete" when nothing was written (the runner completes it). */
export async function processPost(deps: ListQueueDeps, job: ClaimedJob, log: Logger): Promise<Handled> {
  const { db } = deps;
  if (job.messageId === null || !job.listId) throw new PermanentFailure("list job without a message or a list");
  const messageId = job.messageId;
  const listId = job.listId;
  const message = job.message ?? await db.prisma.message.findUnique({ where: { id: messageId } });
  if (!message) throw new PermanentFailure(`message ${job.messageId} is gone`);
  const mlog = log.child({ messageId: message.messageId });
  const raw = Buffer.from(message.raw);
  const msg = RawMessage.parse(raw);
  // LMTP keeps the bytes as received and gave a post without a Message-ID an id of its
  // own (Mailman's LMTP runner does the same): every copy carries that id.
  if (!msg.has("Message-ID")) msg.prepend("Message-ID", message.messageId);
  const data = (job.data ?? {}) as ListJobData;
  const ctx: MessageContext = data.moderatorApproved && data.context
    ? { ...data.context, moderatorApproved: true }
    : newContext({
      listId, messageId: message.messageId, messageIdHash: message.messageIdHash,
      mailFrom: message.mailFrom, senders: sendersOf(msg, message.mailFrom),
    });
  if (data.moderatorApproved) ctx.moderatorApproved = true;

  const lookup = [...new Set([...ctx.senders, ...destinations(msg)])];
  // The list row, its members among the lookup, its bans and the header and footer (for
  // an accepted post), read together with the other posts asking now (list-reads.ts).
  deps.reads ??= createListReads(db, () => templatingOf(deps).templates);
  const read = await deps.reads(listId, lookup);
  if (!read) {
    // Deleted between LMTP and now: nobody to deliver to (Mailman drops it too).
    mlog.warn({ list: listId }, "post for a list that no longer exists dropped");
    return "complete";
  }
  const { list, rows, bans, decoration } = read;
  const senderRows = ctx.senders.flatMap((s) => rows.filter((r) => r.addressKey === s));

  const decision: Decision = ctx.moderatorApproved
    ? { outcome: "accept", rule: null, reasons: ["approved by a moderator"] }
    : await runChain({
      msg, size: message.size, list, ctx, senderRows, bans, verifyPassword, dmarc: deps.dmarc, siteSuspiciousHeaders: deps.suspiciousHeaders,
    });
  mlog.info({ outcome: decision.outcome, rule: decision.rule, reasons: decision.reasons, hits: ctx.ruleHits }, "post decided");

  switch (decision.outcome) {
    case "discard":
      return "complete";
    case "reject":
      return finish(db, job, async (tx) => { await rejectPost(tx, templatingOf(deps).notices, list, raw, message.mailFrom, decision.reasons); });
    case "hold":
      return finish(db, job, async (tx) => {
        // The rules may have edited the post (approved strips a wrong password): hold that version.
        const edited = msg.toBuffer();
        const rowId = edited.equals(raw) ? message.id : await storeCopy(tx, message, edited, message.mailFrom);
        await holdPost(tx, templatingOf(deps).notices, { list, messageRowId: rowId, raw: edited, mailFrom: message.mailFrom, ctx, decision });
      });
    case "accept":
      return accept(deps, job, list, message, msg, ctx, rows.filter((r) => r.role === "member"), decoration, mlog);
  }
}

async function accept(
  deps: ListQueueDeps, job: Job, list: MailingList, message: Message, msg: RawMessage, ctx: MessageContext, rosterRows: ResolvedMember[],
  decoration: { header: string; footer: string },
  mlog: Logger,
): Promise<Handled> {
  // The archivers' header URLs, looked up before the transaction (HyperKitty's list URL may take a request).
  const site = deps.archives ?? BUILTIN_ONLY;
  const archive = await site.forPost(list, ctx.messageIdHash);
  const post: Post = { msg, list, ctx, rosterRows, archive, decoration };
  // Content filtering first, outside the transaction: parsing a large or hostile post
  // (seconds for 100,000 parts) must not hold the list's row lock or a connection.
  const stopped = await runPipeline(post, FILTERING_HANDLERS);
  if (stopped) mlog.info({ outcome: stopped.outcome, handler: stopped.handler, reason: stopped.reason }, "post stopped by a handler");
  // The common case, in a batch: numbered, decorated and committed with the posts to the
  // same list waiting with it. When the batch could not be written (a number taken by
  // another process, a lost claim, an error), the post is finished alone below.
  if (!stopped && builtinOnly(archive.archivers)) {
    deps.finisher ??= createListFinisher(deps);
    // post.msg: the filtering handlers may have replaced the post (mime-delete).
    if (await deps.finisher.finish({ job, list, message, base: post.msg.toBuffer(), ctx, rosterRows, archive, decoration })) return "settled";
  }
  return finish(deps.db, job, async (tx) => {
    // A filtering handler stops a post before editing it: msg is still the post as the chain left it.
    if (stopped) return settleStop(tx, templatingOf(deps).notices, stopped, list, message, msg.toBuffer(), ctx);
    // Lock the list row and read the post number inside the finishing transaction (the
    // lock serialises concurrent posts to one list), so two posts never share a %d;
    // the number is only used up by a post that goes out.
    const [locked] = await tx.$queryRaw<{ postId: number }[]>`
      SELECT "postId" FROM "MailingList" WHERE "id" = ${list.id} FOR UPDATE`;
    ctx.postId = locked?.postId ?? list.postId;
    await runPipeline(post, DECORATING_HANDLERS);
    await tx.$executeRaw`UPDATE "MailingList" SET "postId" = "postId" + 1 WHERE "id" = ${list.id}`;
    const out = post.msg.toBuffer();
    const row = await storeCopy(tx, message, out, bouncesAddress(list.listName, list.mailHost));
    const data: ListPostDelivery = {
      kind: "list-post", listId: list.listId, exclude: ctx.exclude ?? [], personalize: list.personalize,
    };
    // Woken after the commit, in memory when this process runs delivery (no NOTIFY commit).
    let wake: (() => void) | undefined;
    if (ctx.outgoing && deps.outJobs) {
      ({ wake } = await enqueueQuery(tx, { queue: "out", messageId: row, listId: list.listId }, deps.outJobs(list.id, data, job.id), "after-commit"));
    } else if (ctx.outgoing) {
      wake = await enqueue(tx, [{ queue: "out", messageId: row, listId: list.listId, data }], "after-commit");
    }
    if (ctx.archive && post.archiveCopy) {
      await archivePost(tx, {
        list, copy: post.archiveCopy, messageId: message.messageId, messageIdHash: message.messageIdHash,
        archivers: archive.archivers, mailArchiveAddress: site.config.mailArchive?.address ?? null,
      });
    }
    return wake;
  });
}

/** What a handler's Stop leads to, inside the finishing transaction. */
async function settleStop(tx: Tx, notices: NoticeService, stop: PipelineStop, list: MailingList, message: Message, raw: Buffer, ctx: MessageContext): Promise<void> {
  switch (stop.outcome) {
    case "discard":
      return;
    case "preserve":
      // Mailman's "bad" queue: nothing is written, the job is shunted with the reason and
      // kept (with its message) for the site's administrators to look at.
      throw new PermanentFailure(`preserved by ${stop.handler}: ${stop.reason}`);
    case "reject":
      await rejectPost(tx, notices, list, raw, message.mailFrom, [stop.reason]);
      return;
    case "forward":
      await forwardFilteredPost(tx, list, raw, stop.reason);
      return;
    case "hold": {
      const rowId = raw.equals(Buffer.from(message.raw)) ? message.id : await storeCopy(tx, message, raw, message.mailFrom);
      const decision: Decision = { outcome: "hold", rule: stop.handler, reasons: [stop.reason] };
      await holdPost(tx, notices, { list, messageRowId: rowId, raw, mailFrom: message.mailFrom, ctx, decision });
    }
  }
}

// Prisma's Bytes type wants an ArrayBuffer-backed array; a Buffer is one at run time.
const bytes = (b: Buffer) => b as Uint8Array<ArrayBuffer>;

/** A new Message row with the same Message-ID: the version of the post a later stage sends or holds. */
async function storeCopy(tx: Tx, original: Message, raw: Buffer, mailFrom: string): Promise<bigint> {
  const row = await tx.message.create({
    data: {
      messageId: original.messageId, messageIdHash: original.messageIdHash, mailFrom,
      rcptTo: original.rcptTo, size: raw.length, raw: bytes(raw),
    },
    select: { id: true },
  });
  return row.id;
}

/**
 * Runs `work` and completes the job in one transaction. If the job is no longer
 * ours (its lease ran out and another worker finished it), nothing is written.
 * Either way the job is settled: the runner writes nothing more. `work` may return
 * what wakes the workers of the jobs it made, called once committed.
 */
async function finish(db: Database, job: Job, work: (tx: Tx) => Promise<void | (() => void)>): Promise<Handled> {
  const wake = await db.prisma.$transaction(async (tx) => {
    if (await complete(tx, job)) return work(tx);
  }, TX_OPTIONS);
  wake?.();
  return "settled";
}
