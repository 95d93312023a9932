// Postfix maps benchmark, real postmap, reload off, through the real list service
// (what POST /lists does: insert, hand the maps writer the change, wait until the
// maps on disk have it, commit).
// 1. Time for the maps to be current after one list creation with 10,000 and
//    100,000 lists existing: "warm" = this process wrote the maps last
//    (incremental postmap); "cold" = another process did (full rebuild).
// 2. 1,000 creations with C calls in flight (C = 1, 10, 50) and 10,000 lists
//    existing: creations/s, postmap runs, p50/p99 time for a call to return. On
//    PostgreSQL concurrent calls share one map write (group commit); the pool
//    (--pool, serve's default 20) less 4 caps the transactions open at once.
// The embedded database by default (a cluster in a temporary var dir); with
// DATABASE_URL a database of its own on that server.
//   npx tsx bench/maps.ts [--sizes 10000,100000] [--rounds 5] [--burst 1000] [--inflight 1,10,50] [--burst-lists 10000] [--pool 20]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { loadConfig, type Config } from "../src/config/index.js";
import { openDatabase, type Database } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { createLogger } from "../src/log.js";
import { createMaps, type Maps } from "../src/mta/maps.js";
import { createListService } from "../src/services/lists.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const SIZES = arg("sizes", "10000,100000").split(",").filter(Boolean).map(Number);
const ROUNDS = Number(arg("rounds", "5"));
const BURST = Number(arg("burst", "1000"));
const INFLIGHT = arg("inflight", "1,10,50").split(",").filter(Boolean).map(Number);
const BURST_LISTS = Number(arg("burst-lists", "10000"));
const POOL = Number(arg("pool", "20"));
const log = createLogger("silent");

async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const server = process.env.DATABASE_URL?.trim();
  let url: string | null = null;
  const name = `mailroom_bench_maps_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try { await c.query(sql); } finally { await c.end(); }
  };
  if (server) {
    await admin(`CREATE DATABASE ${name}`);
    const u = new URL(server);
    u.pathname = `/${name}`;
    url = u.toString();
  }
  const embedded = url ? null : mkdtempSync(join(tmpdir(), "mailroom-bench-db-"));
  const db = await openDatabase({ url, dataDir: embedded && join(embedded, "db"), poolSize: POOL });
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
    if (embedded) rmSync(embedded, { recursive: true, force: true });
    if (server) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

/** Exactly n lists named list<i> over 50 domains (bench-made lists removed). */
async function fillTo(db: Database, n: number): Promise<void> {
  await db.prisma.$executeRawUnsafe(`DELETE FROM "MailingList" WHERE CASE WHEN "listName" ~ '^list[0-9]+$' THEN substr("listName", 5)::int >= $1 ELSE true END`, n);
  const count = (await db.prisma.$queryRawUnsafe<{ count: number }[]>(`SELECT count(*)::int AS count FROM "MailingList"`))[0]?.count ?? 0;
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "Domain" ("mailHost") SELECT 'd' || i || '.example' FROM generate_series(0, 49) i ON CONFLICT DO NOTHING`);
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "MailingList" ("listName", "mailHost", "listId", "domainId", "displayName", "subjectPrefix")
     SELECT 'list' || i, d."mailHost", 'list' || i || '.' || d."mailHost", d.id, 'List ' || i, ''
       FROM generate_series($1::int, $2::int - 1) i JOIN "Domain" d ON d."mailHost" = 'd' || (i % 50) || '.example'`,
    count, n);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
let seq = 0;

function service(db: Database, config: Config, maps: Maps) {
  return createListService({ db, config, log, maps });
}

/** ms for one creation to return (maps current on disk). */
async function createOne(lists: ReturnType<typeof service>): Promise<number> {
  const start = performance.now();
  await lists.create({ address: `bench${seq++}@d0.example` });
  return performance.now() - start;
}

async function timeToCurrent(db: Database, config: Config): Promise<void> {
  for (const size of SIZES) {
    await fillTo(db, size);
    const maps = createMaps({ db, config, log });
    let t = performance.now();
    await maps.writeNow();
    const initial = Math.round(performance.now() - t);
    const lists = service(db, config, maps);
    const warm: number[] = [];
    for (let i = 0; i < ROUNDS; i++) warm.push(Math.round(await createOne(lists)));
    // A second process (no memory of the last write) must rebuild in full.
    const cold: number[] = [];
    for (let i = 0; i < Math.min(ROUNDS, 3); i++) {
      const other = createMaps({ db, config, log });
      cold.push(Math.round(await createOne(service(db, config, other))));
    }
    t = performance.now();
    await maps.writeNow();
    const noop = Math.round(performance.now() - t);
    console.log(
      `${String(size).padStart(7)} lists: list creation -> maps current: warm median ${pct(warm, 0.5)} ms (all ${warm.join(", ")}), ` +
      `cold median ${pct(cold, 0.5)} ms (all ${cold.join(", ")}); first full write ${initial} ms; unchanged ${noop} ms`,
    );
  }
}

async function bursts(db: Database, config: Config): Promise<void> {
  for (const inflight of INFLIGHT) {
    await fillTo(db, BURST_LISTS);
    const maps = createMaps({ db, config, log });
    await maps.writeNow();
    const lists = service(db, config, maps);
    await createOne(lists); // warm: this process wrote last
    const before = maps.stats();
    const times: number[] = [];
    let next = 0;
    const start = performance.now();
    await Promise.all(Array.from({ length: inflight }, async () => {
      while (next < BURST) {
        next++;
        times.push(await createOne(lists));
      }
    }));
    const wall = performance.now() - start;
    const after = maps.stats();
    console.log(
      `${BURST} creations, ${String(inflight).padStart(2)} in flight, ${BURST_LISTS} lists: ${Math.round(BURST / (wall / 1000))} creations/s, ` +
      `wall ${(wall / 1000).toFixed(1)} s, postmap runs ${after.postmapRuns - before.postmapRuns}, map writes ${after.writes - before.writes}, ` +
      `call p50 ${Math.round(pct(times, 0.5))} ms, p99 ${Math.round(pct(times, 0.99))} ms`,
    );
  }
}

await withDatabase(async (db) => {
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-bench-maps-"));
  const pfConf = mkdtempSync(join(tmpdir(), "mailroom-bench-pfconf-"));
  writeFileSync(join(pfConf, "main.cf"), "compatibility_level = 3.6\n");
  const config = loadConfig({ MAILROOM_VAR_DIR: varDir, MAILROOM_POSTMAP: "postmap", MAILROOM_POSTFIX_CONFIG_DIR: pfConf, MAILROOM_POSTFIX_RELOAD: "off" });
  console.log(`database: ${process.env.DATABASE_URL ? "PostgreSQL" : "embedded"} (pool ${POOL}); postmap: real; reload: off`);
  try {
    if (BURST > 0 && INFLIGHT.length) await bursts(db, config);
    if (SIZES.length) await timeToCurrent(db, config);
  } finally {
    rmSync(varDir, { recursive: true, force: true });
    rmSync(pfConf, { recursive: true, force: true });
  }
});
