// kill -9 of a real `mailroom serve` in the middle of a 10,000-member fan-out, then a
// restart on the same database: every member gets the post, and only recipients of
// the chunks that were in flight at the kill may get it twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, SERVER_URL } from "../helpers/db.js";
import { startSmtpSink } from "../helpers/smtp-sink.js";
import { startServer } from "../helpers/server-process.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { migrate } from "../../src/db/migrate.js";
import { addMembers, createList, enqueuePost, manyMembers } from "./fixtures.js";

const MEMBERS = 10_000;
const CHUNK = 100;
const CONCURRENCY = 4;

test("kill -9 mid fan-out, restart: every member gets the post, duplicates only from chunks in flight", async (t) => {
  const sink = await startSmtpSink({ store: false, dataDelayMs: 15 });
  t.after(() => sink.close());
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-crash-"));

  // Seed: on PostgreSQL a test database the children share; embedded: the var dir's database.
  let db: Database;
  let close: () => Promise<void>;
  if (SERVER_URL) {
    const tdb = await createTestDatabase();
    db = tdb.db;
    close = () => tdb.close();
    t.after(close);
  } else {
    db = await openDatabase({ url: null, dataDir: join(varDir, "db") });
    await migrate(db);
    close = () => db.close();
  }
  const members = manyMembers(MEMBERS, 7);
  const list = await createList(db);
  await addMembers(db, list.id, members);
  const dbUrl = SERVER_URL ? (await db.prisma.$queryRaw<{ d: string }[]>`SELECT current_database() AS d`)[0]!.d : null;
  const env = {
    MAILROOM_SMTP_PORT: String(sink.port),
    MAILROOM_JOB_LEASE: "3",
    MAILROOM_MAX_RECIPIENTS_PER_TRANSACTION: String(CHUNK),
    MAILROOM_DELIVERY_CONCURRENCY: String(CONCURRENCY),
    DATABASE_URL: dbUrl ? Object.assign(new URL(SERVER_URL!), { pathname: `/${dbUrl}` }).toString() : undefined,
  };
  await enqueuePost(db, list.listId);
  if (!SERVER_URL) await close(); // the server takes the embedded database's lock

  const t0 = Date.now();
  const lap = (what: string) => t.diagnostic(`${what}: ${Date.now() - t0} ms`);
  lap("seeded");
  const first = await startServer({ varDir, env });
  lap("first server up");
  try {
    await sink.waitForAccepted(MEMBERS * 0.3, 60_000);
  } finally {
    await first.kill9();
  }
  const atKill = sink.accepted;
  lap("killed");
  assert.ok(atKill < MEMBERS, `killed before the end (${atKill} delivered)`);

  const second = await startServer({ varDir, env });
  lap("second server up");
  try {
    await sink.waitForAccepted(MEMBERS, 60_000);
    if (SERVER_URL) {
      // Wait for the last chunks to be settled, so nothing is sent again later.
      const end = Date.now() + 30_000;
      while ((await db.prisma.job.count({ where: { state: { not: "done" } } })) > 0 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
      }
    } else {
      await new Promise((r) => setTimeout(r, 1000));
    }
    lap("all delivered");
  } finally {
    await second.stop();
  }
  if (!SERVER_URL) {
    db = await openDatabase({ url: null, dataDir: join(varDir, "db") });
    t.after(() => db.close());
  }
  assert.equal(await db.prisma.job.count({ where: { state: { not: "done" } } }), 0, "every job finished");

  const counts = sink.counts();
  const missing = members.filter((m) => !counts.has(m.address));
  assert.deepEqual(missing, [], "every member got the post");
  const twice = [...counts.values()].filter((n) => n === 2).length;
  assert.ok([...counts.values()].every((n) => n <= 2), "nobody got it three times");
  assert.ok(twice <= CHUNK * CONCURRENCY, `${twice} duplicates: at most the ${CONCURRENCY} chunks of ${CHUNK} in flight`);
  assert.equal(sink.accepted, MEMBERS + twice);
  t.diagnostic(`delivered before the kill: ${atKill}; sent twice: ${twice}`);
});
