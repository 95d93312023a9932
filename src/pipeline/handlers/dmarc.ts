// dmarc (Mailman handlers/dmarc.py): for a poster whose domain publishes a strict
// DMARC policy (the dmarc-mitigation rule marked the context), the list cannot send
// From: their address. munge_from: From becomes "Name via List <list@…>" and the
// original From goes to Reply-To (or Cc when replies already go to the list).
// wrap_message: the original travels untouched as a message/rfc822 attachment.
import { formatMailbox, RawMessage, type Mailbox } from "../../domain/raw-message.js";
import { postingAddress } from "../../domain/list-address.js";
import type { Handler, Post } from "./handler.js";

// The outer message keeps these (Mailman dmarc.py KEEPERS, by prefix): it runs after
// cook-headers and rfc-2369, so the list's own headers must stay outside too.
const KEEP_ON_WRAP = ["to", "cc", "subject", "date", "message-id", "in-reply-to", "references", "reply-to", "list-", "archived-at", "precedence", "x-mailman-", "x-message-id-hash", "message-id-hash"];
const keptOnWrap = (name: string) => KEEP_ON_WRAP.some((k) => (k.endsWith("-") ? name.toLowerCase().startsWith(k) : name.toLowerCase() === k));

const handler: Handler = {
  name: "dmarc",
  description: "Apply DMARC mitigations.",
  process(post) {
    if (!post.ctx.dmarc || post.list.anonymousList) return;
    const from = post.msg.addresses("From");
    if (from.length === 0) return;
    if (post.ctx.dmarc === "wrap_message") wrap(post, from);
    else munge(post, from);
  },
};

function mungedFrom(post: Post, from: Mailbox[]): string {
  const name = from[0]!.name || from[0]!.address;
  return formatMailbox(`${name} via ${post.list.displayName}`, postingAddress(post.list));
}

function munge(post: Post, from: Mailbox[]): void {
  const { msg, list } = post;
  const original = from.map((f) => formatMailbox(f.name, f.address));
  msg.set("From", mungedFrom(post, from));
  if (list.replyGoesToList === "point_to_list") {
    const cc = msg.getRaw("Cc");
    msg.set("Cc", [cc, ...original].filter(Boolean).join(", "));
  } else {
    const existing = msg.addresses("Reply-To").filter((r) => !from.some((f) => f.address.toLowerCase() === r.address.toLowerCase()));
    msg.set("Reply-To", [...original, ...existing.map((r) => formatMailbox(r.name, r.address))].join(", "));
  }
}

function wrap(post: Post, from: Mailbox[]): void {
  const inner = post.msg;
  const eol = inner.eol;
  const outer = RawMessage.parse(Buffer.from(`MIME-Version: 1.0${eol}${eol}`, "latin1"));
  for (const f of inner.fields) {
    if (keptOnWrap(f.name)) outer.fields.push({ ...f });
  }
  outer.append("From", mungedFrom(post, from));
  if (!outer.has("Reply-To")) outer.append("Reply-To", from.map((f) => formatMailbox(f.name, f.address)).join(", "));
  outer.append("Content-Type", "message/rfc822");
  outer.append("Content-Disposition", "inline");
  outer.body = inner.toBuffer();
  post.msg = outer;
}

export default handler;
