// Writes the three Postfix maps (postfix_lmtp, postfix_domains, postfix_vmap)
// from a full, ordered set of list rows: all three are built (postmap, fsync)
// under temporary names before any is renamed into place; a map whose content did
// not change is neither rewritten nor postmapped. The maps' own failures become
// MailroomError "maps-unavailable" (503). The caller serialises calls (maps.ts,
// group-writer.ts); this module only counts what it runs.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/index.js";
import { MailroomError } from "../domain/errors.js";
import type { Logger } from "../log.js";
import { MapFile, MapFileError, type PreparedMap } from "./map-file.js";
import { buildMaps, type ListRow } from "./map-text.js";

export interface MapWriterStats {
  /** postmap commands run (full builds and incremental -d/-i runs). */
  postmapRuns: number;
  /** Writes that changed at least one map. */
  writes: number;
}

export interface MapWriter {
  readonly dir: string;
  /** Writes the maps for `rows` (ordered as buildMaps needs); true when any map changed. */
  write(rows: ListRow[], why: Record<string, unknown>): Promise<boolean>;
  /** A write failed after renaming some map: the maps may be ahead of every state (rewrite them). */
  readonly dirty: boolean;
  readonly stats: MapWriterStats;
}

export function createMapWriter(config: Config, log: Logger): MapWriter {
  const dir = join(config.varDir, "data");
  const stats: MapWriterStats = { postmapRuns: 0, writes: 0 };
  let dirty = false;
  const postmap = { command: config.postmap, configDir: config.postfixConfigDir, onRun: () => { stats.postmapRuns++; } };
  const files = {
    lmtp: new MapFile(dir, "postfix_lmtp", postmap),
    domains: new MapFile(dir, "postfix_domains", postmap),
    vmap: new MapFile(dir, "postfix_vmap", postmap),
  };

  async function write(rows: ListRow[], why: Record<string, unknown>): Promise<boolean> {
    const started = Date.now();
    try {
      const maps = buildMaps(rows, config.transport.host, config.transport.port);
      if (maps.skipped.length) {
        log.warn({ lists: maps.skipped.slice(0, 10).map((r) => `${r.listName}@${r.mailHost}`) }, "lists left out of the Postfix maps: name unusable as a map key");
      }
      await mkdir(dir, { recursive: true });
      const prepared: Record<string, PreparedMap> = {};
      try {
        for (const key of ["lmtp", "domains", "vmap"] as const) prepared[key] = await files[key].prepare(maps[key]);
        dirty = true;
        for (const p of Object.values(prepared)) await p.commit();
        dirty = false;
      } catch (err) {
        await Promise.all(Object.values(prepared).map((p) => p.discard()));
        throw err;
      }
      const outcomes = Object.fromEntries(Object.entries(prepared).map(([k, p]) => [k, p.outcome]));
      const changed = Object.values(outcomes).some((o) => o !== "unchanged");
      if (changed) stats.writes++;
      log.info({ lists: rows.length, ...why, ...outcomes, ms: Date.now() - started }, changed ? "postfix maps written" : "postfix maps unchanged");
      return changed;
    } catch (err) {
      if (err instanceof MapFileError || isFsError(err)) {
        log.error({ err: (err as Error).message, dir }, "postfix maps could not be written");
        throw new MailroomError("maps-unavailable", `The Postfix maps under ${dir} could not be updated: ${(err as Error).message}`);
      }
      throw err;
    }
  }

  return { dir, write, stats, get dirty() { return dirty; } };
}

function isFsError(err: unknown): boolean {
  return typeof (err as NodeJS.ErrnoException)?.code === "string" && typeof (err as NodeJS.ErrnoException)?.syscall === "string";
}
