// mime-delete (Mailman handlers/mime_delete.py): content filtering, when the list's
// filterContent is on. The filter itself is content/content-filter.ts; this step
// applies its verdict. Removed whole, the post goes the way of filterAction (Mailman's
// FilterAction: reject, forward to the owners, preserve; discard, and hold, accept
// and defer, which Mailman also treats as discard). A post that cannot be filtered
// safely (MIME too deep, too many parts, broken boundaries) is held with the reason,
// never sent half-filtered — unless a moderator accepted it after this handler held
// it. A post held for another reason (a non-member, say) and accepted is filtered as
// any other: the moderator saw the post, not what filtering would make of it.
import type { FilterAction } from "../../generated/prisma/client.js";
import { filterContent } from "../content/content-filter.js";
import { withContent } from "../content/build.js";
import type { Handler, Stop } from "./handler.js";

const DISPOSE: Record<FilterAction, Stop["outcome"]> = {
  discard: "discard", reject: "reject", forward: "forward", preserve: "preserve",
  hold: "discard", accept: "discard", defer: "discard",
};

const handler: Handler = {
  name: "mime-delete",
  description: "Filter the MIME content of messages.",
  async process(post) {
    const { msg, list, ctx } = post;
    if (!list.filterContent) return;
    const result = await filterContent(msg.toBuffer(), list);
    switch (result.kind) {
      case "unchanged":
        return;
      case "dispose":
        return { outcome: DISPOSE[list.filterAction], reason: result.reason };
      case "unfilterable":
        return ctx.moderatorApproved && ctx.heldBy === handler.name
          ? undefined
          : { outcome: "hold", reason: `The post cannot be filtered safely: ${result.reason}` };
      case "changed":
        try {
          post.msg = await withContent(msg, result.root);
        } catch (err) {
          // The post's doing (it is rebuilt from its own parts): held, not retried until shunted.
          return { outcome: "hold", reason: `The post cannot be filtered safely: rebuilding it failed (${(err as Error)?.message ?? String(err)})` };
        }
        // The body no longer matches what the poster's domain signed.
        post.msg.remove("DKIM-Signature");
        post.msg.append("X-Content-Filtered-By", "mailroom mime-delete");
    }
  },
};

export default handler;
