// to-archive (Mailman handlers/to_archive.py): mark the post for the archive hook
// (an ArchivedMessage row written with the delivery hand-off) unless the list is
// never archived or the poster asked not to be (X-No-Archive, RFC-ish convention).
import type { Handler } from "./handler.js";

const handler: Handler = {
  name: "to-archive",
  description: "Add the message to the list's archive.",
  process({ msg, list, ctx }) {
    if (list.archivePolicy === "never") return;
    if (/^\s*yes\s*$/i.test(msg.get("X-No-Archive") ?? "") || /no/i.test(msg.get("X-Archive") ?? "")) return;
    ctx.archive = true;
  },
};

export default handler;
