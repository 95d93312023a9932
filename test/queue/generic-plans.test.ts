// The workers' pool (db.jobQuery) runs prepared statements with generic plans, made
// once per connection on whatever the tables held then (a fresh install: never
// analyzed, nearly empty) and kept. Each such statement must find its rows by the
// right key whatever the tables grow to: prepared here on small un-analyzed tables,
// run again once they are big, and the plan of that run read.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import pg from "pg";
import { Prisma } from "../../src/generated/prisma/client.js";
import { TRANSITION_MANY_SQL, completeTogetherSql, transitionMany } from "../../src/queue/transitions.js";
import { LOOKUPS_SQL } from "../../src/db/member-lookup.js";
import { WORKER_ID, claim } from "../../src/queue/jobs.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { addMember, createList, insertPost, quietLog } from "../pipeline/db-helpers.js";
import { fakeDmarc, message } from "../pipeline/helpers.js";
import { loadConfig } from "../../src/config/index.js";
import { createDeliveryHandler } from "../../src/delivery/handler.js";
import { processPost } from "../../src/pipeline/list-queue.js";
import { bansOfLists } from "../../src/db/bans.js";

let t: TestDatabase;
let admin: pg.Client;
let jobs: pg.Client;
before(async () => {
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.url });
  await admin.connect();
  for (const table of ["Job", "Member", "Address", "User", "MailingList"]) await admin.query(`ALTER TABLE "${table}" SET (autovacuum_enabled = false)`);
  jobs = await workersConnection(t.url);
});
after(async () => { await jobs.end(); await admin.end(); await t.close(); });

/** A connection with the workers' pool's settings (db/client.ts). */
async function workersConnection(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, options: "-c enable_seqscan=off -c plan_cache_mode=force_generic_plan" });
  await c.connect();
  return c;
}

/** Prepares `sql` as `name` on the workers' settings, by running it once (rolled back). */
async function prepare(name: string, sql: string, values: unknown[], c = jobs): Promise<void> {
  await c.query("BEGIN");
  await c.query({ name, text: sql, values });
  await c.query("ROLLBACK");
}

/** The plan of the prepared statement's run with `values` (rolled back), as text. */
async function planOf(name: string, values: unknown[], c = jobs): Promise<string> {
  await c.query("BEGIN");
  try {
    // EXPLAIN EXECUTE takes no parameters of its own: the values go as literals.
    const rows = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE ${name}(${values.map((v) => literal(v)).join(", ")})`)).rows;
    return rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n");
  } finally {
    await c.query("ROLLBACK");
  }
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (Buffer.isBuffer(v)) return `'\\x${v.toString("hex")}'`;
  if (v instanceof Date) return `'${v.toISOString()}'`;
  // An untyped array literal, which takes the parameter's type.
  if (Array.isArray(v)) return literal(`{${v.map((e) => e === null ? "NULL" : `"${String(e).replace(/["\\]/g, "\\$&")}"`).join(",")}}`);
  return `'${String(v).replaceAll("'", "''")}'`;
}

/** The index scans of a plan: "index on table" for each. */
function scans(plan: string): string[] {
  return [...plan.matchAll(/Index (?:Only )?Scan using "?(\w+)"? on "?(\w+)"?/g)].map((m) => `${m[1]} on ${m[2]}`);
}

it("the settles' fence finds each job by its primary key, however many live jobs there are", async () => {
  const running = async (n: number) => (await admin.query(`INSERT INTO "Job" (queue, state, attempts, "lockedBy", "lockedAt")
    SELECT 'out', 'running', 1, $1, now() FROM generate_series(1, $2::int) RETURNING id`, [WORKER_ID, n])).rows.map((r) => String(r.id));
  const ids = await running(5);
  const many = (n: string[]) => [n, n.map(() => 1), WORKER_ID, n.map(() => "done"), n.map(() => 0), n.map(() => null),
    n.map(() => false), n.map(() => null), "mailroom_test"];
  await prepare("plan_transition_many", TRANSITION_MANY_SQL, many([ids[0]!]));
  const together = (n: string[]) => completeTogetherSql(n.map((id) => ({ id: BigInt(id), attempts: 1 })),
    Prisma.sql`SELECT 1 AS id WHERE (SELECT ok FROM held)`, Prisma.sql`done AS (SELECT 1 FROM settled)`, Prisma.sql`NULL`);
  const small = together([ids[0]!]);
  await prepare("plan_complete_together", small.text, small.values);
  // 20,000 live jobs: deferred, ready, the kind an MTA outage leaves.
  await admin.query(`INSERT INTO "Job" (queue, state, "runAt") SELECT 'out', 'ready', now() + interval '1 hour' FROM generate_series(1, 20000)`);
  const plan = await planOf("plan_transition_many", many([ids[1]!, ids[2]!]));
  assert.ok(scans(plan).includes("Job_pkey on Job"), plan);
  assert.deepEqual(scans(plan).filter((s) => s.endsWith(" on Job") && !s.startsWith("Job_pkey ")), [], plan);
  assert.match(plan, /Update on "?Job"?[^\n]*rows=2(\.00)? /, plan);
  const big = together([ids[3]!, ids[4]!]);
  assert.equal(big.text, small.text);
  const plan2 = await planOf("plan_complete_together", big.values);
  assert.deepEqual(scans(plan2).filter((s) => s.endsWith(" on Job") && !s.startsWith("Job_pkey ")), [], plan2);
  assert.ok(scans(plan2).includes("Job_pkey on Job"), plan2);
});

it("the members of lookups are found by address key, however big the roster", async () => {
  const list = await createList(t.db, {});
  const sample = [[0], [list.listId], ["x@example.com"]];
  await prepare("plan_lookups", LOOKUPS_SQL, sample);
  await admin.query(`INSERT INTO "Address" (email, "originalEmail") SELECT 'm'||g||'@example.com', 'm'||g||'@example.com' FROM generate_series(1, 20000) g`);
  await admin.query(`INSERT INTO "Member" ("listId", "addressId", address, "addressKey") SELECT $1::int, id, email, email FROM "Address"`, [list.id]);
  const keys = ["m5@example.com", "zz@example.com", "m19999@example.com"];
  const plan = await planOf("plan_lookups", [[0, 0, 1], keys.map(() => list.listId), keys]);
  assert.match(plan, /"?(Member_addressKey_idx|Member_listId_role_addressKey_key)"?/, plan);
  assert.doesNotMatch(plan, /Member_listId_(role_)?id_idx/, plan);
  assert.match(plan, /Index Cond: [^\n]*"addressKey"/, plan);
  // The same rows as the statement gives: two found, in order.
  const rows = (await jobs.query({ name: "plan_lookups", text: LOOKUPS_SQL, values: [[0, 0, 1], keys.map(() => list.listId), keys] })).rows;
  assert.deepEqual(rows.map((r) => [r.ord, r.addressKey]), [[0, "m5@example.com"], [1, "m19999@example.com"]]);
});

it("every statement of the workers' pool in a post's way reads by a key, not a whole queue, roster or archive", async () => {
  const u = await createTestDatabase();
  const c = await workersConnection(u.url);
  try {
    for (const r of (await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows) {
      await c.query(`ALTER TABLE "${r.tablename}" SET (autovacuum_enabled = false)`);
    }
    // The statements as the code runs them: a list with a member, posts through the
    // list stage (a reply among them, so the archive's thread lookup has a candidate), their copies claimed and settled.
    const seen = new Map<string, { text: string; values: unknown[] }>();
    const run = u.db.jobQuery.bind(u.db);
    u.db.jobQuery = (name, text, values) => { if (!seen.has(name)) seen.set(name, { text, values }); return run(name, text, values); };
    const delivery = createDeliveryHandler({ db: u.db, config: loadConfig({}), secret: "s" });
    const list = await createList(u.db, { personalize: "none" });
    await addMember(u.db, list, "anne@example.com");
    for (let i = 1; i <= 3; i++) {
      await insertPost(u.db, message(["From: anne@example.com", `Message-ID: <p${i}@example.com>`, `Subject: p${i}`,
        ...(i === 3 ? ["In-Reply-To: <p1@example.com>"] : [])]));
    }
    const deps = { db: u.db, log: quietLog, dmarc: fakeDmarc({}), outJobs: delivery.outJobsFor, outJobsOfRow: delivery.outJobsOfRow };
    await Promise.all((await claim(u.db, "list", 50, 60, [], 1 << 20)).map((job) => processPost(deps, job, quietLog)));
    const outs = await claim(u.db, "out", 50, 60);
    await transitionMany(u.db, outs.map((o) => ({ claim: { id: o.id, attempts: o.attempts }, next: { state: "done" as const } })));
    await bansOfLists(u.db, [list.listId]);
    assert.ok(seen.size >= 6, [...seen.keys()].join(", "));
    for (const [name, st] of seen) await prepare(name, st.text, st.values, c);
    // Grown: a queue of deferred jobs (an MTA outage), a big roster and archive.
    await c.query(`INSERT INTO "Job" (queue, state, "runAt") SELECT 'out', 'ready', now() + interval '1 hour' FROM generate_series(1, 20000)`);
    await c.query(`INSERT INTO "Address" (email, "originalEmail") SELECT 'm'||g||'@example.com', 'm'||g||'@example.com' FROM generate_series(1, 20000) g`);
    await c.query(`INSERT INTO "Member" ("listId", "addressId", address, "addressKey") SELECT $1::int, id, email, email FROM "Address" WHERE email LIKE 'm%'`, [list.id]);
    await c.query(`INSERT INTO "ArchivedMessage" ("listId", "messageId", "messageIdHash", raw, subject, sender)
      SELECT $1::int, '<x'||g||'>', 'h'||g, '\\x41', 's', 'a@example.com' FROM generate_series(1, 20000) g`, [list.id]);
    for (const [name, st] of seen) {
      const plan = await planOf(name, st.values, c);
      const removed = [...plan.matchAll(/Rows Removed by (?:Join )?Filter: (\d+)/g)].map((m) => Number(m[1]));
      assert.ok(removed.every((n) => n < 100), `${name}\n${plan}`);
      // Lookups, not a whole list's rows: the archive's thread lookup by message hash;
      // the members by address key, or a role's roster (the expansion of a post).
      for (const m of plan.matchAll(/Scan (?:using|on) "?(\w+)"?(?: on "?(\w+)"?)?[^\n]*\n(?:[^\n]*Index Cond: ([^\n]*))?/g)) {
        const [index, cond = ""] = [m[1]!, m[3] ?? ""];
        if (index.startsWith("ArchivedMessage_")) assert.match(cond, /messageIdHash/, `${name}\n${plan}`);
        if (index.startsWith("Member_")) assert.match(cond, /addressKey|role/, `${name}\n${plan}`);
        assert.ok(!/Job_live_queue_runAt_idx/.test(index) || /runAt/.test(cond), `${name}: the live jobs by queue alone\n${plan}`);
      }
    }
  } finally {
    await c.end();
    await u.close();
  }
});
