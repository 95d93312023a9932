// approved (Mailman rules/approved.py): a post carrying the list's moderator password
// in an Approved:/Approve: header (or X- variants), or as the first non-blank line of
// a plain-text body, goes straight out. The password is removed whether or not it
// matched, so it never reaches the members.
import type { RawMessage } from "../../domain/raw-message.js";
import { hit, MISS, type Rule } from "./rule.js";

const HEADERS = ["Approved", "Approve", "X-Approved", "X-Approve"];
const BODY_LINE = /^(?:x-)?approved?:[ \t]*(.*)$/i;

const rule: Rule = {
  name: "approved",
  description: "The message has a matching Approve or Approved header.",
  async check({ msg, list, ctx, verifyPassword }) {
    let password: string | undefined;
    for (const h of HEADERS) {
      password ??= msg.get(h)?.trim();
      msg.remove(h);
    }
    password ??= takeBodyPassword(msg);
    if (password === undefined || !list.moderatorPassword) return MISS;
    if (!(await verifyPassword(password, list.moderatorPassword))) return MISS;
    ctx.approved = true;
    return hit("accept", "approved with the moderator password");
  },
};

/** The password from the first non-blank body line of a text/plain post, removing that line. */
function takeBodyPassword(msg: RawMessage): string | undefined {
  const type = (msg.get("Content-Type") ?? "text/plain").trim().toLowerCase();
  const cte = (msg.get("Content-Transfer-Encoding") ?? "7bit").trim().toLowerCase();
  if (!type.startsWith("text/plain") || !["7bit", "8bit", "binary"].includes(cte)) return undefined;
  const text = msg.body.toString("latin1");
  const m = /^(?:[ \t]*\r?\n)*([^\r\n]*)(\r?\n)?/.exec(text);
  const line = m?.[1];
  const found = line !== undefined ? BODY_LINE.exec(line.trim()) : null;
  if (!m || !found) return undefined;
  msg.body = Buffer.from(text.slice(m[0].length), "latin1");
  return Buffer.from(found[1]!.trim(), "latin1").toString("utf8");
}

export default rule;
