// administrivia (Mailman rules/administrivia.py): a post whose subject or first body
// lines look like a command for the -request address ("unsubscribe") was most likely
// sent to the wrong address; it is held rather than mailed to every member.
import { hit, MISS, type Rule } from "./rule.js";

/** Command word → [min, max] arguments (Mailman's EMAIL_COMMANDS). */
const COMMANDS: Record<string, [number, number]> = {
  confirm: [1, 1], help: [0, 0], info: [0, 0], join: [0, 2], leave: [0, 0], lists: [0, 0],
  options: [0, 0], password: [2, 2], remove: [0, 0], set: [3, 3], subscribe: [0, 2],
  unsubscribe: [0, 1], who: [0, 0],
};
const MAX_LINES = 10;

function isCommand(line: string): boolean {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const spec = words.length ? COMMANDS[words[0]!.toLowerCase()] : undefined;
  return !!spec && words.length - 1 >= spec[0] && words.length - 1 <= spec[1];
}

const rule: Rule = {
  name: "administrivia",
  description: "Catch mis-addressed email commands.",
  check({ msg, list }) {
    if (!list.administrivia) return MISS;
    const type = (msg.get("Content-Type") ?? "text/plain").trim().toLowerCase();
    const lines = type.startsWith("text/plain")
      ? msg.body.toString("latin1").split(/\r?\n/).filter((l) => l.trim() !== "").slice(0, MAX_LINES)
      : [];
    const subject = (msg.get("Subject") ?? "").replace(/^\s*(re|aw|sv|fwd?)\s*:\s*/i, "");
    return [subject, ...lines].some(isCommand) ? hit("collect", "Message contains administrivia") : MISS;
  },
};

export default rule;
