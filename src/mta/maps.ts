// Keeps the Postfix maps under $MAILROOM_VAR_DIR/data (postfix_lmtp,
// postfix_domains, postfix_vmap) in step with the lists. The list and domain
// services call regenerate(tx) inside the transaction that changed them, before
// commit, then reload() after the commit (or writeNow() when the commit failed);
// main.ts calls writeNow() at start and for `mailroom aliases`.
// Serialised across processes by a transaction-level advisory lock; maps whose
// content did not change are neither rewritten nor postmapped. All three maps are
// built under temporary names before any is renamed into place.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/index.js";
import type { Database, Tx } from "../db/client.js";
import { MailroomError } from "../domain/errors.js";
import type { Logger } from "../log.js";
import type { MapsUpdater } from "./updater.js";
import { MapFile, MapFileError, type PreparedMap } from "./map-file.js";
import { buildMaps, type ListRow } from "./map-text.js";
import { createReloader, type Reloader } from "./reloader.js";

export interface MapsDeps { db: Database; config: Config; log: Logger }
export interface Maps extends MapsUpdater {
  /** Resolves once no reload is running or pending. */
  reloadIdle(): Promise<void>;
}

/** pg_advisory_xact_lock key: "mailroom maps" (distinct from Prisma Migrate's). */
export const MAPS_LOCK_KEY = 0x6d61_7073; // "maps"

export const MAP_NAMES = ["postfix_lmtp", "postfix_domains", "postfix_vmap"] as const;

export function createMaps(deps: MapsDeps): Maps {
  const { config, log } = deps;
  const dir = join(config.varDir, "data");
  const postmap = { command: config.postmap, configDir: config.postfixConfigDir };
  const files = {
    lmtp: new MapFile(dir, "postfix_lmtp", postmap),
    domains: new MapFile(dir, "postfix_domains", postmap),
    vmap: new MapFile(dir, "postfix_vmap", postmap),
  };
  const reloader: Reloader = createReloader(config.postfixReload, config.postfixConfigDir, log);

  async function regenerate(tx: Tx): Promise<boolean> {
    const started = Date.now();
    try {
      // Held until the caller commits: the next writer (any process) then reads
      // a state that includes this change, so maps never go back in time.
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${MAPS_LOCK_KEY})`);
      const rows = await tx.$queryRawUnsafe<ListRow[]>(
        `SELECT l."listName", l."mailHost", d."aliasDomain"
           FROM "MailingList" l JOIN "Domain" d ON d.id = l."domainId"
          ORDER BY COALESCE(d."aliasDomain", l."mailHost") COLLATE "C", l."listName" COLLATE "C"`,
      );
      const maps = buildMaps(rows, config.transport.host, config.transport.port);
      if (maps.skipped.length) {
        log.warn({ lists: maps.skipped.slice(0, 10).map((r) => `${r.listName}@${r.mailHost}`) }, "lists left out of the Postfix maps: name unusable as a map key");
      }
      await mkdir(dir, { recursive: true });
      const prepared: Record<string, PreparedMap> = {};
      try {
        for (const key of ["lmtp", "domains", "vmap"] as const) prepared[key] = await files[key].prepare(maps[key]);
        for (const p of Object.values(prepared)) await p.commit();
      } catch (err) {
        await Promise.all(Object.values(prepared).map((p) => p.discard()));
        throw err;
      }
      const outcomes = Object.fromEntries(Object.entries(prepared).map(([k, p]) => [k, p.outcome]));
      const changed = Object.values(outcomes).some((o) => o !== "unchanged");
      log.info({ lists: rows.length, ...outcomes, ms: Date.now() - started }, changed ? "postfix maps written" : "postfix maps unchanged");
      return changed;
    } catch (err) {
      if (err instanceof MapFileError || isFsError(err)) {
        log.error({ err: (err as Error).message, dir }, "postfix maps could not be written");
        throw new MailroomError("maps-unavailable", `The Postfix maps under ${dir} could not be updated: ${(err as Error).message}`);
      }
      throw err;
    }
  }

  return {
    regenerate,
    // Outside any transaction: the reload takes up to 30 s.
    reload: () => reloader.request(),
    async writeNow() {
      // Long timeout: a first full postmap of 100,000 lists takes seconds.
      const changed = await deps.db.prisma.$transaction((tx) => regenerate(tx), { timeout: 300_000, maxWait: 60_000 });
      if (changed) await reloader.request();
    },
    reloadIdle: () => reloader.idle(),
  };
}

function isFsError(err: unknown): boolean {
  return typeof (err as NodeJS.ErrnoException)?.code === "string" && typeof (err as NodeJS.ErrnoException)?.syscall === "string";
}
