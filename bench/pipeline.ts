// Posting-pipeline throughput: N member posts through the list-queue handler (rule
// chain, handlers, one commit each) on the embedded database or DATABASE_URL, and the
// cost of per-member decoration (what delivery pays per copy in personalised mode).
// Run: npx tsx bench/pipeline.ts [posts=500]
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openDatabase } from "../src/db/client.js";
import { migrate } from "../src/db/migrate.js";
import { decorate } from "../src/domain/decorate.js";
import { createLogger } from "../src/log.js";
import { claim } from "../src/queue/jobs.js";
import { complete } from "../src/queue/transitions.js";
import { processPost } from "../src/pipeline/list-queue.js";
import { addMember, createList, insertPost } from "../test/pipeline/db-helpers.js";
import { fakeDmarc, fixture } from "../test/pipeline/helpers.js";

const POSTS = Number(process.argv[2] ?? 500);
const serverUrl = process.env.DATABASE_URL?.trim() || null;
let url: string | null = null;
const dbName = `mailroom_bench_${randomBytes(4).toString("hex")}`;
if (serverUrl) {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${dbName}`);
  await c.end();
  const u = new URL(serverUrl);
  u.pathname = `/${dbName}`;
  url = u.toString();
}
const embedded = url ? null : mkdtempSync(join(tmpdir(), "mailroom-bench-db-"));
const db = await openDatabase({ url, dataDir: embedded && join(embedded, "db") });
await migrate(db);
const log = createLogger("silent");
const list = await createList(db, { msgFooter: "-- \n$display_name -- $listname\nUnsubscribe: ${short_listname}-leave@${domain}" });
await addMember(db, list, "anne@example.com");
const raw = fixture("plain-text");
for (let i = 0; i < POSTS; i++) {
  await insertPost(db, Buffer.from(raw.toString("latin1").replace("<plain-1@example.com>", `<bench-${i}@example.com>`), "latin1"));
}
const dmarc = fakeDmarc({});
// One deps object: its template loader (shipped files, no overrides) is made once and kept.
const deps = { db, log, dmarc };
const t0 = performance.now();
let done = 0;
for (;;) {
  const jobs = await claim(db, "list", 8, 60);
  if (jobs.length === 0) break;
  await Promise.all(jobs.map(async (job) => {
    await processPost(deps, job, log);
    await complete(db.prisma, job);
    done++;
  }));
}
const ms = performance.now() - t0;
const outs = await db.prisma.job.count({ where: { queue: "out" } });
console.log(`database: ${url ? "postgresql" : "embedded"}`);
console.log(`pipeline: ${done} posts in ${ms.toFixed(0)} ms = ${(done / (ms / 1000)).toFixed(0)} posts/s (${outs} out jobs)`);

const settings = { ...list, msgFooter: "-- \nSent to $user_address ($user_name) by $display_name" };
const bodies = ["plain-text", "multipart-mixed", "html-base64"].map(fixture);
for (const [i, body] of bodies.entries()) {
  const n = 10_000;
  const d0 = performance.now();
  for (let k = 0; k < n; k++) decorate(body, settings, { address: `m${k}@example.org`, displayName: "M" });
  const dm = performance.now() - d0;
  console.log(`decorate ${["plain-text", "multipart-mixed", "html-base64"][i]}: ${n} copies in ${dm.toFixed(0)} ms = ${(dm * 1000 / n).toFixed(1)} µs/copy`);
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await db.close();
if (embedded) rmSync(embedded, { recursive: true, force: true });
if (serverUrl) {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await c.end();
}
