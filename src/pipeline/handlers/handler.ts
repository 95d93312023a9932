// What a pipeline handler is (Mailman interfaces/handler.py): a name, a one-line
// description and a step that edits the post or its context. Handlers are pure
// (no I/O): what they need from the database is loaded before the pipeline runs,
// and what they ask for (archive, delivery) is recorded on the context and
// committed in one transaction afterwards.
import type { MailingList } from "../../generated/prisma/client.js";
import type { ResolvedMember } from "../../db/member-lookup.js";
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
}

export interface Handler {
  name: string;
  description: string;
  process(post: Post): void;
}

