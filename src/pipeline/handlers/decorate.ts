// decorate (Mailman handlers/decorate.py): the list's header and footer (the
// list:member:regular:* templates or the list's msgHeader/msgFooter). In bulk
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
    const { header, footer } = post.decoration ?? { header: list.msgHeader, footer: list.msgFooter };
    if (header.trim() === "" && footer.trim() === "") return;
    if (list.personalize !== "none") {
      post.msg.remove("DKIM-Signature");
      return;
    }
    const before = post.msg.toBuffer();
    const after = decorate(before, { ...decorationSettingsOf(list), msgHeader: header, msgFooter: footer });
    if (after !== before) post.msg = RawMessage.parse(after);
  },
};

export default handler;
