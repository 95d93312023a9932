// Postfix maps benchmark: how long until the maps are current after one list
// creation (the work a POST /lists does inside its transaction: advisory lock,
// read every list, build the text, write, postmap), with 10,000 and 100,000
// lists existing. Real postmap, reload off. "warm" = this process wrote the maps
// last (incremental postmap); "cold" = another process did (full rebuild).
// Embedded PGlite by default; with DATABASE_URL a database of its own on that server.
//   npx tsx bench/maps.ts [--sizes 10000,100000] [--rounds 5]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { loadConfig } from "../src/config/index.js";
import { openDatabase, type Database } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { createLogger } from "../src/log.js";
import { createMaps } from "../src/mta/maps.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const SIZES = arg("sizes", "10000,100000").split(",").map(Number);
const ROUNDS = Number(arg("rounds", "5"));

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
  const db = await openDatabase({ url, dataDir: null });
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
    if (server) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function fillTo(db: Database, n: number): Promise<void> {
  const count = (await db.prisma.$queryRawUnsafe<{ count: number }[]>(`SELECT count(*)::int AS count FROM "MailingList"`))[0]?.count ?? 0;
  // 50 domains, lists spread over them.
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "Domain" ("mailHost") SELECT 'd' || i || '.example' FROM generate_series(0, 49) i ON CONFLICT DO NOTHING`);
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "MailingList" ("listName", "mailHost", "listId", "domainId", "displayName", "subjectPrefix")
     SELECT 'list' || i, d."mailHost", 'list' || i || '.' || d."mailHost", d.id, 'List ' || i, ''
       FROM generate_series($1::int, $2::int - 1) i JOIN "Domain" d ON d."mailHost" = 'd' || (i % 50) || '.example'`,
    count, n);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await withDatabase(async (db) => {
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-bench-maps-"));
  const pfConf = mkdtempSync(join(tmpdir(), "mailroom-bench-pfconf-"));
  writeFileSync(join(pfConf, "main.cf"), "compatibility_level = 3.6\n");
  const config = loadConfig({ MAILROOM_VAR_DIR: varDir, MAILROOM_POSTMAP: "postmap", MAILROOM_POSTFIX_CONFIG_DIR: pfConf, MAILROOM_POSTFIX_RELOAD: "off" });
  const log = createLogger("silent");
  console.log(`database: ${db.kind}; postmap: real; reload: off; ${ROUNDS} creations per size`);
  let seq = 0;
  try {
    for (const size of SIZES) {
      await fillTo(db, size);
      const maps = createMaps({ db, config, log });
      let t = Date.now();
      await maps.writeNow();
      const initial = Date.now() - t;
      const createOne = async (m: typeof maps) => {
        const name = `bench${seq++}`;
        const start = Date.now();
        await db.prisma.$transaction(async (tx) => {
          const d = await tx.domain.findUniqueOrThrow({ where: { mailHost: "d0.example" } });
          await tx.mailingList.create({ data: { listName: name, mailHost: d.mailHost, listId: `${name}.${d.mailHost}`, domainId: d.id, displayName: name, subjectPrefix: "" } });
          await m.regenerate(tx);
        }, { timeout: 300_000 });
        return Date.now() - start;
      };
      const warm: number[] = [];
      for (let i = 0; i < ROUNDS; i++) warm.push(await createOne(maps));
      // A second process (no memory of the last write) must rebuild in full.
      const cold: number[] = [];
      for (let i = 0; i < Math.min(ROUNDS, 3); i++) cold.push(await createOne(createMaps({ db, config, log })));
      t = Date.now();
      await maps.writeNow();
      const noop = Date.now() - t;
      console.log(
        `${String(size).padStart(7)} lists: list creation -> maps current: warm median ${median(warm)} ms (all ${warm.join(", ")}), ` +
        `cold median ${median(cold)} ms (all ${cold.join(", ")}); first full write ${initial} ms; unchanged ${noop} ms`,
      );
    }
  } finally {
    rmSync(varDir, { recursive: true, force: true });
    rmSync(pfConf, { recursive: true, force: true });
  }
});
