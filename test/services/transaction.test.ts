// inMapsTransaction leaves main-pool connections to everything else: transactions
// waiting for a map write may hold at most poolSize - 4 of them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { inMapsTransaction } from "../../src/services/transaction.js";
import type { MapsUpdater } from "../../src/mta/updater.js";
import { createTestDatabase } from "../helpers/db.js";
import { until } from "../helpers/wait.js";

test("map-changing transactions never take more than poolSize - 4 connections at once", async (t) => {
  const testDb = await createTestDatabase();
  t.after(() => testDb.close());
  const { db } = testDb;
  const slots = Math.max(1, db.poolSize - 4);
  let open = 0;
  let most = 0;
  // Map writes are held until the test lets them go, so every slot fills however
  // slow the machine is (no timing window to race).
  let letGo!: () => void;
  const gate = new Promise<void>((resolve) => { letGo = resolve; });
  const maps: MapsUpdater = {
    async regenerate() {
      most = Math.max(most, ++open);
      await gate;
      open--;
      return { changed: false, settle: async () => {} };
    },
    reload: async () => {},
    writeNow: async () => {},
  };
  let finished = false;
  const all = Promise.all(Array.from({ length: slots + 4 }, () => inMapsTransaction({ db, maps }, async (tx, regenerateMaps) => {
    await tx.$queryRaw`SELECT 1`;
    await regenerateMaps({ lists: [] });
  }))).then(() => { finished = true; });
  await until(async () => open === slots, 30_000, "every slot holding a map write");
  // The others stay queued for a slot, not for a map write: none gets in meanwhile.
  await sleep(200);
  assert.equal(open, slots);
  // While they queue, the rest of the process still gets a connection at once.
  assert.equal((await db.prisma.$queryRaw<{ n: number }[]>`SELECT 1::int AS n`)[0]!.n, 1);
  assert.equal(finished, false);
  letGo();
  await all;
  assert.equal(most, slots);
});
