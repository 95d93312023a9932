// cook-headers (Mailman handlers/cook_headers.py and subject_prefix.py): the subject
// prefix (once, moved in front of "Re:" rather than stacked), Reply-To munging,
// X-BeenThere (what the loop rule looks for) and Precedence: list.
import { formatMailbox } from "../../domain/raw-message.js";
import { postingAddress } from "../../domain/list-address.js";
import type { Handler, Post } from "./handler.js";

// Mailman's reply markers (RE, AW, SV, VS, optionally counted: "Re[2]:").
const REPLY = /^((re|aw|sv|vs)(\[\d+\])?\s*:\s*)+/i;

const handler: Handler = {
  name: "cook-headers",
  description: "Modify message headers.",
  process(post) {
    prefixSubject(post);
    mungeReplyTo(post);
    post.msg.append("X-BeenThere", postingAddress(post.list));
    if (!post.msg.has("Precedence")) post.msg.append("Precedence", "list");
  },
};

/** "[prefix] Re: subject" from "subject", "Re: subject", "Re: [prefix] subject", "[prefix] Re: Re: subject". */
export function prefixedSubject(subject: string, prefixTemplate: string, postId: number): string {
  const template = prefixTemplate.trim();
  if (template === "") return subject;
  const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/%d/g, "\\d+");
  let rest = subject.replace(new RegExp(escaped, "gi"), " ").replace(/\s+/g, " ").trim();
  let reply = false;
  // A prefix between reply markers ("Re: [p] Re: x") leaves several; fold them into one.
  while (REPLY.test(rest)) {
    reply = true;
    rest = rest.replace(REPLY, "").trim();
  }
  const prefix = template.replace(/%d/g, String(postId));
  return `${prefix} ${reply ? "Re: " : ""}${rest || "(no subject)"}`;
}

function prefixSubject({ msg, list, ctx }: Post): void {
  if (list.subjectPrefix.trim() === "") return;
  const current = msg.get("Subject") ?? "";
  const next = prefixedSubject(current, list.subjectPrefix, ctx.postId ?? list.postId);
  if (next !== current) msg.set("Subject", next);
}

function mungeReplyTo({ msg, list }: Post): void {
  const policy = list.replyGoesToList;
  if (list.firstStripReplyTo || policy === "explicit_header_only") msg.remove("Reply-To");
  let target: string | null = null;
  if (policy === "point_to_list") target = formatMailbox(list.displayName, postingAddress(list));
  else if ((policy === "explicit_header" || policy === "explicit_header_only") && list.replyToAddress) target = list.replyToAddress;
  if (!target) return;
  const existing = msg.addresses("Reply-To").map((r) => formatMailbox(r.name, r.address));
  msg.set("Reply-To", [target, ...existing.filter((e) => !e.toLowerCase().includes(`<${postingAddress(list)}>`))].join(", "));
}

export default handler;
