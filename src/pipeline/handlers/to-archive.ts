// to-archive (Mailman handlers/to_archive.py): mark the post for the list's archivers
// unless none takes it (never archived, none switched on) or the poster asked not to
// be archived, and keep the copy they get: list headers added, no footer (Mailman
// decorates in delivery, after the archive has its copy). list-queue.ts hands it to
// src/archivers/archive-post.ts in the same transaction as the delivery hand-off.
import { posterOptedOut } from "../../domain/archivers.js";
import type { Handler } from "./handler.js";

const handler: Handler = {
  name: "to-archive",
  description: "Add the message to the list's archive.",
  process(post) {
    const { msg, list, ctx } = post;
    if (list.archivePolicy === "never" || (post.archive?.archivers.length ?? 0) === 0) return;
    if (posterOptedOut((h) => msg.get(h))) return;
    ctx.archive = true;
    post.archiveCopy = msg.toBuffer();
  },
};

export default handler;
