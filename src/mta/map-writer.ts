// Writes the configured MTA's generated files (layouts.ts: three for each of Postfix,
// Exim and Sendmail) from a full, ordered set of list rows: all are built (compiled,
// fsynced) under temporary names before any is renamed into place; a file whose
// content did not change is neither rewritten nor compiled. The files' own failures
// become MailroomError "maps-unavailable" (503). The caller serialises calls (maps.ts,
// group-writer.ts); this module only counts what it runs.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/index.js";
import { MailroomError } from "../domain/errors.js";
import type { Logger } from "../log.js";
import { layoutFor } from "./layouts.js";
import { MapFile, MapFileError, type PreparedMap } from "./map-file.js";
import type { ListRow } from "./map-text.js";

export interface MapWriterStats {
  /** postmap / makemap commands run (full builds and incremental -d/-i runs). */
  postmapRuns: number;
  /** Writes that changed at least one file. */
  writes: number;
}

export interface MapWriter {
  readonly dir: string;
  /**
   * Writes the files for `rows` (ordered as buildMaps needs). Resolves true when a
   * file changed that the MTA only sees after a reload (Postfix: any; Sendmail: its
   * relay domains; Exim: none).
   */
  write(rows: ListRow[], why: Record<string, unknown>): Promise<boolean>;
  /** A write failed after renaming some file: the files may be ahead of every state (rewrite them). */
  readonly dirty: boolean;
  readonly stats: MapWriterStats;
}

export function createMapWriter(config: Config, log: Logger): MapWriter {
  const dir = join(config.varDir, "data");
  const stats: MapWriterStats = { postmapRuns: 0, writes: 0 };
  let dirty = false;
  const layout = layoutFor(config, () => { stats.postmapRuns++; });
  const files = layout.files.map((f) => ({ ...f, file: new MapFile(dir, f.name, f.compiler) }));
  const mta = layout.mta;

  async function write(rows: ListRow[], why: Record<string, unknown>): Promise<boolean> {
    const started = Date.now();
    try {
      const { contents, skipped } = layout.build(rows);
      if (skipped.length) {
        log.warn({ mta, lists: skipped.slice(0, 10).map((r) => `${r.listName}@${r.mailHost}`) }, "lists left out of the MTA files: name unusable as a map key");
      }
      await mkdir(dir, { recursive: true });
      const prepared: PreparedMap[] = [];
      try {
        for (const [i, f] of files.entries()) prepared.push(await f.file.prepare(contents[i]!));
        dirty = true;
        for (const p of prepared) await p.commit();
        dirty = false;
      } catch (err) {
        await Promise.all(prepared.map((p) => p.discard()));
        throw err;
      }
      const outcomes = Object.fromEntries(files.map((f, i) => [f.name, prepared[i]!.outcome]));
      const changed = prepared.some((p) => p.outcome !== "unchanged");
      if (changed) stats.writes++;
      log.info({ mta, lists: rows.length, ...why, ...outcomes, ms: Date.now() - started }, changed ? "mta files written" : "mta files unchanged");
      return files.some((f, i) => f.reloads && prepared[i]!.outcome !== "unchanged");
    } catch (err) {
      if (err instanceof MapFileError || isFsError(err)) {
        log.error({ mta, err: (err as Error).message, dir }, "mta files could not be written");
        throw new MailroomError("maps-unavailable", `The ${mta} files under ${dir} could not be updated: ${(err as Error).message}`);
      }
      throw err;
    }
  }

  return { dir, write, stats, get dirty() { return dirty; } };
}

function isFsError(err: unknown): boolean {
  return typeof (err as NodeJS.ErrnoException)?.code === "string" && typeof (err as NodeJS.ErrnoException)?.syscall === "string";
}
