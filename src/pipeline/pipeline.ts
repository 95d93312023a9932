// The posting pipeline (Mailman pipelines/builtin.py default-posting-pipeline) as
// data: handlers in the order they run on an accepted post. mime-delete (content
// filtering, off unless the list's filterContent) comes first, as in Mailman, and is
// the one handler that may end the post (a Stop: discard, reject, hold, forward,
// preserve); runPipeline returns it with the handler's name, and list-queue.ts acts
// on it. Mailman's digest, NNTP and acknowledgement handlers have no counterpart.
import cleanse from "./handlers/cleanse.js";
import cookHeaders from "./handlers/cook-headers.js";
import decorate from "./handlers/decorate.js";
import dmarc from "./handlers/dmarc.js";
import type { Handler, Post, Stop } from "./handlers/handler.js";
import mimeDelete from "./handlers/mime-delete.js";
import rfc2369 from "./handlers/rfc-2369.js";
import toArchive from "./handlers/to-archive.js";
import toOutgoing from "./handlers/to-outgoing.js";

/** The handlers that may end a post; they need no post number and run before the finishing transaction. */
export const FILTERING_HANDLERS: readonly Handler[] = [mimeDelete];

export const POSTING_PIPELINE: readonly Handler[] = [
  ...FILTERING_HANDLERS,
  cleanse,
  cookHeaders,
  rfc2369,
  // Mailman's order: the archive's copy has the list headers but no footer, and the
  // poster's own From (dmarc rewrites only the members' copies).
  toArchive,
  dmarc,
  decorate,
  toOutgoing,
];

/** The rest of the pipeline, run under the list's row lock once the post number is known. */
export const DECORATING_HANDLERS: readonly Handler[] = POSTING_PIPELINE.slice(FILTERING_HANDLERS.length);

export interface PipelineStop extends Stop {
  handler: string;
}

/** Runs the handlers in order; the first Stop ends the run (later handlers do not see the post). */
export async function runPipeline(post: Post, handlers: readonly Handler[] = POSTING_PIPELINE): Promise<PipelineStop | null> {
  for (const h of handlers) {
    const stop = await h.process(post);
    if (stop) return { ...stop, handler: h.name };
  }
  return null;
}
