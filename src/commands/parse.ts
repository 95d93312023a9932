// Email commands sent to a list's -request address (Mailman's commands/ and
// runners/command.py): read from the Subject, then the first lines of the body;
// quoted replies and signatures are skipped and `end` stops. Pure; called by the
// "command" queue handler, which executes them.

export type CommandName = "help" | "join" | "leave" | "confirm" | "who" | "end";

export interface Command {
  name: CommandName;
  args: string[];
  /** The line as written, echoed in the reply (Mailman's "> join" results). */
  line: string;
}

export interface ParsedCommands {
  commands: Command[];
  /** Lines that were not commands (reported back, then reading stops after a few). */
  unknown: string[];
}

/** Words and their Mailman aliases. */
const ALIASES: Record<string, CommandName> = {
  help: "help",
  join: "join", subscribe: "join",
  leave: "leave", unsubscribe: "leave", remove: "leave",
  confirm: "confirm",
  who: "who",
  end: "end", stop: "end",
};

/** Mailman's email_commands_max_lines: a long body is a letter, not a command script. */
export const MAX_LINES = 10;
/** Stop after this many non-command lines: the rest is prose. */
const MAX_UNKNOWN = 3;

/** Strips reply/forward prefixes and list tags: "Re: AW: [Dev] confirm abc" → "confirm abc". */
export function cleanSubject(subject: string): string {
  let s = subject.trim();
  for (;;) {
    const next = s.replace(/^((re|aw|sv|fw|fwd|wg)\s*(\[\d+\])?\s*:|\[[^\]]*\])\s*/i, "");
    if (next === s) return s;
    s = next;
  }
}

export function parseCommandLine(line: string): Command | null {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const name = words[0] ? ALIASES[words[0].toLowerCase()] : undefined;
  if (!name) return null;
  return { name, args: words.slice(1), line: line.trim() };
}

/** RFC 3676 signature separator, and the usual "-- " without its space or as underscores. */
const SIGNATURE = /^(--\s*|_{2,}\s*)$/;
/** A quoted line, or the attribution line that introduces a quote. */
const QUOTED = /^\s*(>|\|)|^On .+ wrote:\s*$|^-+\s*Original Message\s*-+$/i;

export function parseCommands(subject: string, body: string): ParsedCommands {
  const commands: Command[] = [];
  const unknown: string[] = [];
  const subjectCommand = parseCommandLine(cleanSubject(subject));
  if (subjectCommand && subjectCommand.name !== "end") commands.push(subjectCommand);
  let read = 0;
  for (const raw of body.replace(/\r\n?/g, "\n").split("\n")) {
    if (SIGNATURE.test(raw)) break;
    if (QUOTED.test(raw) || raw.trim() === "") continue;
    if (++read > MAX_LINES) break;
    const cmd = parseCommandLine(raw);
    if (cmd?.name === "end") break;
    if (cmd) {
      // A reply to a confirmation often repeats the subject's command in the body.
      if (!commands.some((c) => c.line.toLowerCase() === cmd.line.toLowerCase())) commands.push(cmd);
      continue;
    }
    unknown.push(raw.trim());
    if (unknown.length >= MAX_UNKNOWN) break;
  }
  return { commands, unknown };
}
