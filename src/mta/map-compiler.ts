// The programs that turn a map's text into the binary table an MTA reads (PATH.db):
// Postfix's postmap (MAILROOM_POSTMAP), which can also apply a few changed lines to a
// copy of the previous .db, and Sendmail's makemap (MAILROOM_MAKEMAP), which always
// rebuilds. Exim reads its lsearch files as text and needs neither. Used by map-file.ts.
import { firstLine, runCommand } from "./run-command.js";

/** A compiler that failed; map-file.ts names the file in the message. */
export class CompileError extends Error {}

export interface MapCompiler {
  /** The program's name, for error messages. */
  readonly name: string;
  /** Builds `${path}.db` from the text file `path` (whose content is `text`). */
  build(path: string, text: string): Promise<void>;
  /** Applies changed lines to `${path}.db` in place; absent: the compiler only rebuilds. */
  update?(path: string, removedKeys: string[], addedLines: [string, string][]): Promise<void>;
}

/** postmap (Postfix): full builds with `postmap hash:PATH`, changes with `-d -` / `-i`. */
export function postmapCompiler(command: string, configDir: string | null, onRun?: () => void): MapCompiler {
  const env = configDir ? { MAIL_CONFIG: configDir } : undefined;
  async function run(args: string[], input?: string, notFoundOk = false): Promise<void> {
    onRun?.();
    const r = await runCommand(command, args, { env, input });
    // -d exits 1 when no key was found; only a "fatal:" is a failure.
    const failed = notFoundOk ? r.code !== 0 && (r.code !== 1 || /fatal:/.test(r.stderr)) : r.code !== 0;
    if (failed) throw new CompileError(`postmap exited ${r.code}${r.stderr ? `: ${firstLine(r.stderr)}` : ""}`);
  }
  return {
    name: "postmap",
    build: (path) => run([`hash:${path}`]),
    async update(path, removedKeys, addedLines) {
      if (removedKeys.length) await run(["-d", "-", `hash:${path}`], removedKeys.join("\n") + "\n", true);
      if (addedLines.length) await run(["-i", `hash:${path}`], addedLines.map(([k, v]) => `${k} ${v}`).join("\n") + "\n");
    },
  };
}

/**
 * makemap (Sendmail): `makemap hash PATH < PATH` writes PATH.db. The command may
 * carry options (`makemap -C /etc/mail/sendmail.cf`); makemap has no delete, so
 * every change is a full build.
 */
export function makemapCompiler(command: string, onRun?: () => void): MapCompiler {
  return {
    name: "makemap",
    async build(path, text) {
      onRun?.();
      const r = await runCommand(command, ["hash", path], { input: text });
      if (r.code !== 0) throw new CompileError(`makemap exited ${r.code}${r.stderr ? `: ${firstLine(r.stderr)}` : ""}`);
    },
  };
}
