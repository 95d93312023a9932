// rfc-2369 (Mailman handlers/rfc_2369.py): List-Id (RFC 2919) on every post, and the
// RFC 2369 List-* links when includeRfc2369Headers is on. Existing List-* headers
// from an upstream list are replaced. The https one-click List-Unsubscribe (RFC 8058)
// is per member, so delivery adds it. The archive URLs come with the post (Post.archive).
import { posterOptedOut } from "../../domain/archivers.js";
import { formatMailbox } from "../../domain/raw-message.js";
import { postingAddress, subaddressOf, type Subaddress } from "../../domain/list-address.js";
import type { Handler } from "./handler.js";

const LIST_HEADERS = ["List-Help", "List-Post", "List-Subscribe", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Owner", "List-Archive", "Archived-At"];

const handler: Handler = {
  name: "rfc-2369",
  description: "Add the RFC 2369 List-* headers.",
  process({ msg, list, ctx, archive }) {
    msg.remove("List-Id");
    msg.append("List-Id", formatMailbox(list.displayName, list.listId));
    if (!list.includeRfc2369Headers) return;
    for (const h of LIST_HEADERS) msg.remove(h);
    const at = (sub: Subaddress) => subaddressOf(list.listName, list.mailHost, sub);
    msg.append("List-Help", `<mailto:${at("request")}?subject=help>`);
    msg.append("List-Owner", `<mailto:${at("owner")}>`);
    msg.append("List-Post", list.allowListPosts ? `<mailto:${postingAddress(list)}>` : "NO");
    msg.append("List-Subscribe", `<mailto:${at("join")}>`);
    msg.append("List-Unsubscribe", `<mailto:${at("leave")}>`);
    // RFC 2369 List-Archive and RFC 5064 Archived-At, one each per archiver that
    // holds the post (Mailman's rfc_2369.py); none when no archiver takes it.
    const permalinks = !posterOptedOut((h) => msg.get(h));
    for (const link of archive?.links ?? []) {
      if (link.listUrl) msg.append("List-Archive", `<${link.listUrl}>`);
      if (link.permalink && permalinks) msg.append("Archived-At", `<${link.permalink}>`);
    }
    if (list.archivePolicy !== "never") {
      // Mailman's Message-ID-Hash: the key an archiver (and Archived-At) uses.
      msg.set("Message-ID-Hash", ctx.messageIdHash);
      msg.set("X-Message-ID-Hash", ctx.messageIdHash);
    }
  },
};

export default handler;
