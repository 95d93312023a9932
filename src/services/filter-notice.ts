// The notice for filterAction "forward" (Mailman's mime_delete dispose): a post that
// content filtering removed whole goes to the list's owners and moderators, attached,
// as the only copy left. Called by pipeline/list-queue.ts inside its transaction.
import type { Tx } from "../db/client.js";
import type { MailingList } from "../generated/prisma/client.js";
import { administrators, queueNotice } from "./notices.js";

export async function forwardFilteredPost(tx: Tx, list: MailingList, raw: Buffer, reason: string): Promise<void> {
  await queueNotice(tx, {
    list,
    to: await administrators(tx, list.id),
    from: `${list.listName}-owner@${list.mailHost}`,
    subject: `A post to ${list.listName}@${list.mailHost} was stopped by content filtering`,
    text: [
      `Content filtering on the ${list.displayName} mailing list stopped the attached post; it was not`,
      "sent to the members, and the copy attached here is the only one kept.",
      "",
      `    ${reason}`,
    ].join("\n"),
    attach: { raw, filename: "filtered-message.eml" },
  });
}
