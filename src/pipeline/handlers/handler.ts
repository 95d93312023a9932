// What a pipeline handler is (Mailman interfaces/handler.py): a name, a one-line
// description and a step that edits the post or its context. Handlers do no I/O:
// what they need from the database is loaded before the pipeline runs, and what
// they ask for (archive, delivery) is recorded on the context and committed in one
// transaction afterwards. A handler may end the post early by returning a Stop
// (Mailman raises DiscardMessage or RejectMessage); list-queue.ts acts on it.
import type { MailingList } from "../../generated/prisma/client.js";
import type { ResolvedMember } from "../../db/member-lookup.js";
import type { PostArchiving } from "../../domain/archivers.js";
import type { MessageContext } from "../../domain/message-context.js";
import type { RawMessage } from "../../domain/raw-message.js";

export interface Post {
  /** The post being prepared; a handler may replace it (dmarc wrap, decorate). */
  msg: RawMessage;
  list: MailingList;
  ctx: MessageContext;
  /** Member rows (role member) of the poster and of the To/Cc addresses: for avoid-duplicates. */
  rosterRows: ResolvedMember[];
  /** The list's header and footer (templates, loaded before the pipeline runs); unset: msgHeader/msgFooter. */
  decoration?: { header: string; footer: string };
  /** The archivers that take this list's posts and their header URLs (src/archivers/site.ts); none when unset. */
  archive?: PostArchiving;
  /** Set by to-archive: the bytes the archivers get. */
  archiveCopy?: Buffer;
}

/**
 * How a handler ends a post (only mime-delete does): discard, reject with the reason,
 * hold with the reason, forward to the owners and moderators (then discard), or
 * preserve (kept as a shunted job for the site's administrators: Mailman's bad queue).
 */
export interface Stop {
  outcome: "discard" | "reject" | "hold" | "forward" | "preserve";
  reason: string;
}

export interface Handler {
  name: string;
  description: string;
  /** Edits the post; may be async (mime-delete parses MIME with streams). */
  process(post: Post): void | Stop | Promise<void | Stop>;
}

