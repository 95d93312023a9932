// to-outgoing (Mailman handlers/to_outgoing.py with avoid_duplicates.py): hand the
// post to delivery. Works out who to skip: the poster if they do not want their
// own posts, and members who opted out of list copies and are already in To/Cc.
import type { Handler } from "./handler.js";

const handler: Handler = {
  name: "to-outgoing",
  description: "Send posts to the outgoing queue.",
  process({ msg, ctx, rosterRows }) {
    const exclude = new Set<string>();
    const posters = new Set(ctx.senders);
    const explicit = new Set(["To", "Cc"].flatMap((h) => msg.addresses(h).map((a) => a.address.toLowerCase())));
    for (const m of rosterRows) {
      if (posters.has(m.addressKey) && !m.receiveOwnPostings) exclude.add(m.addressKey);
      if (explicit.has(m.addressKey) && !m.receiveListCopy) exclude.add(m.addressKey);
    }
    ctx.exclude = [...exclude].sort();
    ctx.outgoing = true;
  },
};

export default handler;
