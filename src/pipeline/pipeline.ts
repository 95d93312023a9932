// The posting pipeline (Mailman pipelines/builtin.py default-posting-pipeline) as
// data: handlers in the order they run on an accepted post. Mailman's mime-delete
// (content filtering, off by default there) is not implemented.
import cleanse from "./handlers/cleanse.js";
import cookHeaders from "./handlers/cook-headers.js";
import decorate from "./handlers/decorate.js";
import dmarc from "./handlers/dmarc.js";
import type { Handler, Post } from "./handlers/handler.js";
import rfc2369 from "./handlers/rfc-2369.js";
import toArchive from "./handlers/to-archive.js";
import toOutgoing from "./handlers/to-outgoing.js";

export const POSTING_PIPELINE: readonly Handler[] = [
  cleanse,
  dmarc,
  cookHeaders,
  rfc2369,
  // Mailman's order: the archive's copy has the list headers but no footer.
  toArchive,
  decorate,
  toOutgoing,
];

export function runPipeline(post: Post, handlers: readonly Handler[] = POSTING_PIPELINE): Post {
  for (const h of handlers) h.process(post);
  return post;
}
