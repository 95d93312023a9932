// The "out" queue handler: a list-post job is expanded into chunk jobs (expand.ts);
// a chunk job, and a direct job (notices), is sent (send-chunk.ts) and its recipients'
// fate recorded (settle.ts). Registered by src/workers.ts; one SMTP pool per process.
import type { Config } from "../config/index.js";
import type { Database } from "../db/client.js";
import type { Job, Prisma } from "../generated/prisma/client.js";
import type { ClaimedJob, PostRowColumns } from "../queue/jobs.js";
import type { ListPostDelivery, OutJobData } from "../domain/out-job.js";
import { bouncesAddress } from "../domain/list-address.js";
import { decorate as decorateDomain } from "../domain/decorate.js";
import { PermanentFailure, type Handled, type JobContext, type JobHandler } from "../queue/runner.js";
import type { ChunkJobData, DirectJobState } from "./chunk-data.js";
import { expandListPost, expandOptionsFor, outJobsOfRow, outJobsQuery } from "./expand.js";
import { memberCopy, type DecorateMember } from "./personalize.js";
import { sendChunk, type BulkSend, type VerpSend } from "./send-chunk.js";
import { settleChunk } from "./settle.js";
import { createMailer, type Mailer } from "./smtp-transport.js";
import { createGroupTransition } from "../queue/group-transition.js";
import type { TemplateLoader } from "../services/template-loader.js";

/** The list row handed to per-member decoration. */
export type ListRow = NonNullable<Awaited<ReturnType<Database["prisma"]["mailingList"]["findUnique"]>>>;

export interface DeliveryDeps {
  db: Database;
  config: Config;
  /** Signs one-click unsubscribe tokens: the secret, or how to get it (workers.ts passes services.secret, which reads it once per process). */
  secret: string | (() => Promise<string>);
  /** Per-member decoration for personalised lists; default src/domain/decorate.ts, null sends the copy as stored. */
  decorate?: ((raw: Buffer, list: ListRow, member: { address: string; displayName: string }) => Buffer) | null;
  /** The header and footer templates (services.templateLoader); unset: the list's msgHeader/msgFooter only. */
  templates?: TemplateLoader;
  /** A different mailer (bench); default: the nodemailer pool to MAILROOM_SMTP_HOST:PORT. */
  mailer?: Mailer;
  /** Bulk mode: domains with fewer recipients than this share chunks (default a tenth of a chunk). */
  ownChunkMin?: number;
}

export interface DeliveryHandler extends JobHandler {
  /** Closes the SMTP pool. */
  close(): void;
  /**
   * The "out" jobs a list post becomes, as a (recipient, data) query for the list
   * stage's finishing statement: its chunks when the roster fits one chunk, else its
   * list-post job (expand.ts outJobsQuery). `parent`: the list job.
   */
  outJobsFor(listPk: number, post: ListPostDelivery, parent: bigint): Prisma.Sql;
  /** The same for the list stage's batch finish: the post's values are columns of its rows (expand.ts outJobsOfRow). */
  outJobsOfRow(listPk: number, personalize: ListPostDelivery["personalize"], row: PostRowColumns): Prisma.Sql;
}

const MESSAGE_CACHE = 8;
/** Messages up to this size come with the claim of their job (one read less per job of a small list). */
const CLAIMED_MESSAGE_BYTES = 64 * 1024;
const LIST_CACHE_MS = 5000;

export function createDeliveryHandler(deps: DeliveryDeps): DeliveryHandler {
  const { db, config } = deps;
  const mailer = deps.mailer ?? createMailer({ host: config.smtp.host, port: config.smtp.port, maxConnections: config.smtp.maxConnections });
  // The few messages being delivered right now: a 100,000-member post is ~200 chunks of one message.
  const messages = new Map<bigint, Promise<{ raw: Buffer; messageId: string } | null>>();
  // Chunks finishing at the same moment settle in one statement (one commit).
  const group = createGroupTransition(db);
  const getSecret = () => (typeof deps.secret === "string" ? Promise.resolve(deps.secret) : deps.secret());

  function loadMessage(id: bigint) {
    let p = messages.get(id);
    if (!p) {
      p = db.prisma.message.findUnique({ where: { id }, select: { raw: true, messageId: true } })
        .then((m) => (m ? { raw: Buffer.from(m.raw), messageId: m.messageId } : null));
      p.catch(() => messages.delete(id));
      messages.set(id, p);
      if (messages.size > MESSAGE_CACHE) messages.delete(messages.keys().next().value!);
    }
    return p;
  }

  // List rows change rarely; a few seconds of staleness only affects decoration of chunks in flight.
  const lists = new Map<number, { at: number; row: Promise<ListRow | null> }>();
  function loadList(id: number): Promise<ListRow | null> {
    const hit = lists.get(id);
    if (hit && Date.now() - hit.at < LIST_CACHE_MS) return hit.row;
    // msgHeader/msgFooter become the texts in force (list setting, else the templates) for decoration.
    const row = db.prisma.mailingList.findUnique({ where: { id } }).then(async (r) => {
      if (!r || !deps.templates) return r;
      const { header, footer } = await deps.templates.decoration(db.prisma, r);
      return { ...r, msgHeader: header, msgFooter: footer };
    });
    row.catch(() => lists.delete(id));
    lists.set(id, { at: Date.now(), row });
    if (lists.size > 100) lists.delete(lists.keys().next().value!);
    return row;
  }

  async function listPost(job: Job, data: ListPostDelivery, ctx: JobContext): Promise<Handled> {
    const list = await db.prisma.mailingList.findUnique({ where: { listId: data.listId }, select: { id: true } });
    if (!list) {
      ctx.log.warn({ list: data.listId }, "list gone; post not delivered");
      return "complete";
    }
    const opts = expandOptionsFor(config.smtp, config.publicUrl, data.personalize, deps.ownChunkMin);
    const res = await expandListPost(db, job, data, list.id, opts);
    if (res.expanded) ctx.log.info({ chunks: res.chunks, recipients: res.recipients, verp: opts.verp }, "post expanded");
    // The fan-out statement completed the job with its children (or found the claim lost).
    return "settled";
  }

  async function chunk(job: ClaimedJob, data: ChunkJobData, ctx: JobContext): Promise<Handled> {
    if (job.messageId === null) throw new PermanentFailure("chunk without a message");
    const [msg, list] = await Promise.all([
      // A small message came with the claim; a big list's shared one is kept here.
      job.message ? { raw: Buffer.from(job.message.raw), messageId: job.message.messageId } : loadMessage(job.messageId),
      loadList(data.list),
    ]);
    if (!msg) throw new PermanentFailure(`message ${job.messageId} is gone`);
    const pending = data.pending ?? data.rcpt.map((_, i) => i);
    let how: BulkSend | VerpSend;
    if (!list) {
      ctx.log.warn("list gone; chunk dropped");
      return "complete";
    }
    if (!data.verp) {
      how = { mode: "bulk", from: bouncesAddress(list.listName, list.mailHost), raw: msg.raw, maxRecipients: config.smtp.maxRecipientsPerTransaction };
    } else {
      const key = await getSecret();
      const decorateFn = deps.decorate === undefined ? decorateDomain : deps.decorate;
      const decorate: DecorateMember | null = decorateFn ? (raw, m) => decorateFn(raw, list, m) : null;
      how = {
        mode: "verp",
        parallel: config.smtp.maxConnections,
        envelopeFor: (i) => {
          const member = { address: data.rcpt[i]!, displayName: data.names?.[i] ?? "" };
          return {
            from: bouncesAddress(list.listName, list.mailHost, member.address),
            raw: memberCopy(msg.raw, list, member, { personalize: data.personalize, publicUrl: config.publicUrl, secret: key, decorate }),
          };
        },
      };
    }
    const outcome = await sendChunk(mailer, data.rcpt, pending, how, ctx.signal);
    const res = await settleChunk(db, {
      job, data, rcpt: data.rcpt, outcome, postedAt: new Date(data.postedAt),
      deadlineSeconds: config.smtp.retryDeadlineSeconds, retryWaitSeconds: config.smtp.retryWaitSeconds,
      bounce: { listPk: list.id, messageId: msg.messageId }, group,
    });
    ctx.log.debug(res, "chunk sent");
    if (res.deferred) ctx.log.info({ deferred: res.deferred, delay: res.delay }, "recipients deferred");
    // settleChunk moved the job on (done, or back to ready for the deferred) in its statement.
    return "settled";
  }

  async function direct(job: ClaimedJob, data: DirectJobState, ctx: JobContext): Promise<Handled> {
    if (job.messageId === null) throw new PermanentFailure("direct delivery without a message");
    const msg = job.message ? { raw: Buffer.from(job.message.raw), messageId: job.message.messageId } : await loadMessage(job.messageId);
    if (!msg) throw new PermanentFailure(`message ${job.messageId} is gone`);
    const pending = data.pending ?? data.recipients.map((_, i) => i);
    const outcome = await sendChunk(mailer, data.recipients, pending,
      { mode: "bulk", from: data.envelopeFrom, raw: msg.raw, maxRecipients: config.smtp.maxRecipientsPerTransaction }, ctx.signal);
    const res = await settleChunk(db, {
      job, data, rcpt: data.recipients, outcome, postedAt: job.createdAt,
      deadlineSeconds: config.smtp.retryDeadlineSeconds, retryWaitSeconds: config.smtp.retryWaitSeconds, bounce: null, group,
    });
    if (res.failed || res.expired) ctx.log.warn(res, "notice not delivered to every recipient");
    return "settled";
  }

  return {
    queue: "out",
    concurrency: config.smtp.concurrency,
    maxAttempts: 10,
    messageBytes: CLAIMED_MESSAGE_BYTES,
    async handle(job, ctx) {
      const data = job.data as unknown as OutJobData | ChunkJobData;
      switch (data?.kind) {
        case "list-post": return listPost(job, data, ctx);
        case "chunk": return chunk(job, data, ctx);
        case "direct": return direct(job, data as DirectJobState, ctx);
        default: throw new PermanentFailure(`unknown out job kind ${JSON.stringify((data as { kind?: unknown })?.kind)}`);
      }
    },
    close: () => mailer.close(),
    outJobsFor: (listPk, post, parent) =>
      outJobsQuery(listPk, post, parent, expandOptionsFor(config.smtp, config.publicUrl, post.personalize, deps.ownChunkMin)),
    outJobsOfRow: (listPk, personalize, row) =>
      outJobsOfRow(listPk, personalize, row, expandOptionsFor(config.smtp, config.publicUrl, personalize, deps.ownChunkMin)),
  };
}
