// decorate (Mailman handlers/decorate.py): the list's header and footer. In bulk
// mode every member gets the same copy, decorated here; in personalised mode
// delivery decorates each member's copy (domain/decorate.ts) and this only drops
// the DKIM signatures the decoration will break.
import { decorate, decorationSettingsOf } from "../../domain/decorate.js";
import { RawMessage } from "../../domain/raw-message.js";
import type { Handler } from "./handler.js";

const handler: Handler = {
  name: "decorate",
  description: "Decorate a message with headers and footers.",
  process(post) {
    const { list } = post;
    if (list.msgHeader.trim() === "" && list.msgFooter.trim() === "") return;
    if (list.personalize !== "none") {
      post.msg.remove("DKIM-Signature");
      return;
    }
    const before = post.msg.toBuffer();
    const after = decorate(before, decorationSettingsOf(list));
    if (after !== before) post.msg = RawMessage.parse(after);
  },
};

export default handler;
