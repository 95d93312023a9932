// Writes one generated MTA file atomically and keeps its binary table (.db, when it
// has a compiler: postmap or makemap) in step: the new text and .db are built under
// temporary names in the same directory, fsynced (prepare), then renamed over the
// live ones (commit), so a failure anywhere leaves the previous file (text and .db)
// exactly as it was. Called by map-writer.ts under the writer's advisory lock. When
// this process wrote the live map last and the compiler can update in place
// (postmap), only the changed groups are applied (postmap -d / -i on a copy of the
// .db): with 100,000 lists a full postmap takes seconds, an incremental one a tenth
// of a second.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { MapCompiler } from "./map-compiler.js";
import type { MapContent } from "./map-text.js";

export class MapFileError extends Error {}

/** What this process last wrote, to recognise it on disk and diff against. */
interface Written {
  params: string;
  groups: Set<string>;
  textSig: string;
  dbSig: string | null;
}

export type WriteOutcome = "unchanged" | "incremental" | "full";

/** Above this many changed groups a full rebuild is as cheap as applying them. */
const INCREMENTAL_LIMIT = 2000;

/** A map built under a temporary name, not yet live. */
export interface PreparedMap {
  outcome: WriteOutcome;
  /** Renames the new text and .db over the live ones. */
  commit(): Promise<void>;
  /** Removes the temporary files (the live map stays as it was). */
  discard(): Promise<void>;
}

const UNCHANGED: PreparedMap = { outcome: "unchanged", commit: async () => {}, discard: async () => {} };

export class MapFile {
  private last: Written | null = null;
  readonly path: string;

  /** compiler null: a text file only (Exim's lsearch files, Sendmail's class file). */
  constructor(dir: string, name: string, private readonly compiler: MapCompiler | null) {
    this.path = join(dir, name);
  }

  /** prepare() then commit() at once (one map on its own). */
  async write(content: MapContent): Promise<WriteOutcome> {
    const prepared = await this.prepare(content);
    await prepared.commit();
    return prepared.outcome;
  }

  /**
   * Builds the new text and .db under temporary names (compiled, fsynced) and
   * leaves the live map alone: commit() renames them into place, discard()
   * removes them. maps.ts prepares all three maps before renaming any.
   */
  async prepare(content: MapContent): Promise<PreparedMap> {
    const live = await this.liveSignatures();
    const last = this.last && live.text === this.last.textSig && live.db === this.last.dbSig ? this.last : null;
    if (last && last.params === content.params && sameSet(last.groups, content.groups)) return UNCHANGED;
    if (!last && (await this.liveMatches(content.text, live))) {
      this.remember(content, live);
      return UNCHANGED;
    }

    const tmp = join(dirname(this.path), `.${basename(this.path)}.${randomBytes(6).toString("hex")}`);
    const discard = () => this.discard(tmp);
    let outcome: WriteOutcome = "full";
    try {
      await writeDurably(tmp, content.text);
      if (this.compiler) {
        const diff = this.compiler.update && last && last.params === content.params && live.db ? diffGroups(last.groups, content.groups) : null;
        if (diff && diff.removed.length + diff.added.length <= INCREMENTAL_LIMIT) {
          // A reflink where the file system has them (a plain copy elsewhere).
          await copyFile(`${this.path}.db`, `${tmp}.db`, constants.COPYFILE_FICLONE);
          await this.applyDiff(tmp, content, diff);
          outcome = "incremental";
        } else {
          await this.compiler.build(tmp, content.text);
        }
        await fsyncFile(`${tmp}.db`);
      }
    } catch (err) {
      throw await this.failed(err, tmp);
    }
    return {
      outcome,
      discard,
      commit: async () => {
        try {
          // Text first, then .db: a crash between the two leaves a .db older than
          // its text, which liveMatches() treats as "rebuild".
          await rename(tmp, this.path);
          if (this.compiler) await rename(`${tmp}.db`, `${this.path}.db`);
          await fsyncDir(dirname(this.path));
          this.remember(content, await this.liveSignatures());
        } catch (err) {
          throw await this.failed(err, tmp);
        }
      },
    };
  }

  private async discard(tmp: string): Promise<void> {
    await Promise.all([tmp, `${tmp}.db`].map((f) => rm(f, { force: true }).catch(() => {})));
  }

  private async failed(err: unknown, tmp: string): Promise<MapFileError> {
    this.last = null;
    await this.discard(tmp);
    return err instanceof MapFileError ? err : new MapFileError(`${basename(this.path)}: ${(err as Error).message}`);
  }

  private async applyDiff(tmp: string, content: MapContent, diff: { removed: string[]; added: string[] }) {
    // The previous content's lines are derivable from the group ids alone.
    const keys = diff.removed.flatMap((id) => content.linesOf(id).map(([k]) => k));
    const lines = diff.added.flatMap((id) => content.linesOf(id));
    await this.compiler!.update!(tmp, keys, lines);
  }

  private remember(content: MapContent, live: { text: string | null; db: string | null }) {
    this.last = live.text ? { params: content.params, groups: content.groups, textSig: live.text, dbSig: live.db } : null;
  }

  private async liveSignatures(): Promise<{ text: string | null; db: string | null; textMtime: number; dbMtime: number }> {
    const [t, d] = await Promise.all([stat(this.path).catch(() => null), stat(`${this.path}.db`).catch(() => null)]);
    return {
      text: t ? `${t.ino}:${t.size}:${t.mtimeMs}` : null,
      db: d ? `${d.ino}:${d.size}:${d.mtimeMs}` : null,
      textMtime: t?.mtimeMs ?? 0,
      dbMtime: d?.mtimeMs ?? 0,
    };
  }

  /** The live text equals `text` and its .db (when compiled) is not older. */
  private async liveMatches(text: string, live: { text: string | null; db: string | null; textMtime: number; dbMtime: number }) {
    if (!live.text) return false;
    if (this.compiler && (!live.db || live.dbMtime < live.textMtime)) return false;
    const onDisk = await readFile(this.path, "utf8").catch(() => null);
    return onDisk === text;
  }
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function diffGroups(before: Set<string>, after: Set<string>) {
  const removed: string[] = [];
  const added: string[] = [];
  for (const x of before) if (!after.has(x)) removed.push(x);
  for (const x of after) if (!before.has(x)) added.push(x);
  return { removed, added };
}

async function writeDurably(path: string, text: string): Promise<void> {
  const fh = await open(path, "wx", 0o644);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, "r");
  try { await fh.sync(); } finally { await fh.close(); }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try { await fh.sync(); } finally { await fh.close(); }
}
