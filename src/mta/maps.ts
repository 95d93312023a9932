// Keeps the configured MTA's generated files under $MAILROOM_VAR_DIR/data
// (layouts.ts: postfix_*, exim_* or sendmail_*) in step with the lists. The list and domain
// services call regenerate(tx, change) inside the transaction that changed them,
// before commit (services/transaction.ts), then settle the write and reload()
// after the commit; main.ts calls writeNow() at start and for `mailroom aliases`.
// On PostgreSQL the writes are group commits (group-writer.ts): one write and
// postmap for all the transactions waiting, serialised across processes by an
// advisory lock. Embedded PGlite runs one transaction at a time, so there each
// transaction writes the maps itself from what it sees.
import type { Config } from "../config/index.js";
import type { Database, Tx } from "../db/client.js";
import type { Logger } from "../log.js";
import type { MapsUpdater, MapsWrite } from "./updater.js";
import { createGroupWriter } from "./group-writer.js";
import { ALL_ROWS_SQL, readDelta, sortRows, type MapRow } from "./map-rows.js";
import { createMapWriter, type MapWriterStats } from "./map-writer.js";
import { createReloader, type Reloader } from "./reloader.js";
import { FILE_NAMES, reloadCommand } from "./layouts.js";

export interface MapsDeps { db: Database; config: Config; log: Logger }
export interface Maps extends MapsUpdater {
  /** Resolves once no reload is running or pending. */
  reloadIdle(): Promise<void>;
  /** postmap runs and map writes so far, plus group writes on PostgreSQL (tests, benchmark). */
  stats(): MapWriterStats & { groups: number };
}

/** The Postfix maps' names (the other MTAs': layouts.ts FILE_NAMES). */
export const MAP_NAMES = FILE_NAMES.postfix;

export function createMaps(deps: MapsDeps): Maps {
  const { db, config, log } = deps;
  const writer = createMapWriter(config, log);
  const reload = reloadCommand(config);
  const reloader: Reloader = createReloader(reload.command, reload.configDir, log);
  const group = db.kind === "postgres" ? createGroupWriter(db, writer, log) : null;

  /** PGlite: the transaction writes the maps from what it sees (no other transaction runs meanwhile). */
  async function writeInTx(tx: Tx): Promise<MapsWrite> {
    let changed = false;
    let error: Error | undefined;
    try {
      changed = await writer.write(sortRows(await tx.$queryRawUnsafe<MapRow[]>(ALL_ROWS_SQL)), {});
    } catch (err) {
      error = err as Error;
    }
    const wrote = !error || writer.dirty;
    return {
      changed,
      error,
      // The maps must not stay ahead of a rolled-back change.
      settle: async (committed) => {
        if (!committed && wrote) await writeNow().catch((e: Error) => log.error({ err: e.message }, "mta files could not be rewritten after a failed change"));
      },
    };
  }

  async function writeNow(): Promise<void> {
    let changed: boolean;
    if (group) {
      const w = await group.submit(null);
      await w.settle(true);
      if (w.error) throw w.error;
      changed = w.changed;
    } else {
      // Long timeout: a first full postmap of 100,000 lists takes seconds.
      changed = await db.prisma.$transaction(async (tx) => {
        const w = await writeInTx(tx);
        if (w.error) throw w.error;
        return w.changed;
      }, { timeout: 300_000, maxWait: 60_000 });
    }
    if (changed) await reloader.request();
  }

  return {
    async regenerate(tx, change) {
      if (!group) return writeInTx(tx);
      return group.submit(await readDelta(tx, change));
    },
    // Outside any transaction: the reload takes up to 30 s.
    reload: () => reloader.request(),
    writeNow,
    reloadIdle: () => reloader.idle(),
    stats: () => ({ ...writer.stats, groups: group?.groups ?? 0 }),
  };
}
