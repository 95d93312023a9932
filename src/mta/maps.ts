// Keeps the configured MTA's generated files under $MAILROOM_VAR_DIR/data
// (layouts.ts: postfix_*, exim_* or sendmail_*) in step with the lists. The list and domain
// services call regenerate(tx, change) inside the transaction that changed them,
// before commit (services/transaction.ts), then settle the write and reload()
// after the commit; main.ts calls writeNow() at start and for `mailroom aliases`.
// The writes are group commits (group-writer.ts): one write and postmap for all
// the transactions waiting, serialised across processes by an advisory lock.
import type { Config } from "../config/index.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import type { MapsUpdater } from "./updater.js";
import { createGroupWriter } from "./group-writer.js";
import { readDelta } from "./map-rows.js";
import { createMapWriter, type MapWriterStats } from "./map-writer.js";
import { createReloader, type Reloader } from "./reloader.js";
import { FILE_NAMES, reloadCommand } from "./layouts.js";

export interface MapsDeps { db: Database; config: Config; log: Logger }
export interface Maps extends MapsUpdater {
  /** Resolves once no reload is running or pending. */
  reloadIdle(): Promise<void>;
  /** postmap runs, map writes and group writes so far (tests, benchmark). */
  stats(): MapWriterStats & { groups: number };
}

/** The Postfix maps' names (the other MTAs': layouts.ts FILE_NAMES). */
export const MAP_NAMES = FILE_NAMES.postfix;

export function createMaps(deps: MapsDeps): Maps {
  const { db, config, log } = deps;
  const writer = createMapWriter(config, log);
  const reload = reloadCommand(config);
  const reloader: Reloader = createReloader(reload.command, reload.configDir, log);
  const group = createGroupWriter(db, writer, log);

  async function writeNow(): Promise<void> {
    const w = await group.submit(null);
    await w.settle(true);
    if (w.error) throw w.error;
    if (w.changed) await reloader.request();
  }

  return {
    async regenerate(tx, change) {
      return group.submit(await readDelta(tx, change));
    },
    // Outside any transaction: the reload takes up to 30 s.
    reload: () => reloader.request(),
    writeNow,
    reloadIdle: () => reloader.idle(),
    stats: () => ({ ...writer.stats, groups: group.groups }),
  };
}
