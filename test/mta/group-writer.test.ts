// Group commit of the Postfix maps (src/mta/group-writer.ts) through the real list
// and domain services, real postmap: many creations at once each return only once
// the map on disk has their list, with far fewer postmap runs than creations; a
// failed write fails every waiting change; two writers on one database never leave
// a committed list out of the map.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.js";
import { MailroomError } from "../../src/domain/errors.js";
import { createLogger } from "../../src/log.js";
import { createMaps, type Maps } from "../../src/mta/maps.js";
import { createServices, type Services } from "../../src/services/index.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

let t: TestDatabase;
const log = createLogger("silent");
const postfixConf = mkdtempSync(join(tmpdir(), "mailroom-pfconf-"));
writeFileSync(join(postfixConf, "main.cf"), "compatibility_level = 3.6\n");
const dirs: string[] = [postfixConf];

before(async () => { t = await createTestDatabase(); });
after(async () => {
  await t.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeEach(async () => { await t.reset(); });

/** One "process": its own maps writer and services, on the shared database and var dir. */
function processOn(varDir: string): { maps: Maps; services: Services } {
  const config = loadConfig({
    MAILROOM_VAR_DIR: varDir, MAILROOM_TRANSPORT_HOST: "127.0.0.1", MAILROOM_TRANSPORT_PORT: "8024",
    MAILROOM_POSTMAP: "postmap", MAILROOM_POSTFIX_CONFIG_DIR: postfixConf, MAILROOM_POSTFIX_RELOAD: "off",
  });
  const maps = createMaps({ db: t.db, config, log });
  return { maps, services: createServices({ db: t.db, config, log, maps }) };
}

function varDir(): string {
  const d = mkdtempSync(join(tmpdir(), "mailroom-group-"));
  dirs.push(d);
  return d;
}

const lmtpText = (dir: string) => readFileSync(join(dir, "data", "postfix_lmtp"), "utf8");
function query(dir: string, map: string, key: string): string | null {
  const r = spawnSync("postmap", ["-c", postfixConf, "-q", key, `hash:${join(dir, "data", map)}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Every committed list is in postfix_lmtp (with the host its domain's alias gives it), and nothing else. */
async function assertMapsMatchDatabase(dir: string) {
  const rows = await t.db.prisma.mailingList.findMany({ include: { domain: true } });
  const text = lmtpText(dir);
  const inMap = new Set([...text.matchAll(/^([^\s#]+)\s/gm)].map((m) => m[1]!));
  const expected = new Set(rows.flatMap((r) => {
    const host = r.domain.aliasDomain ?? r.mailHost;
    return [`${r.listName}@${host}`, `${r.listName}-request@${host}`];
  }));
  for (const a of expected) assert.ok(inMap.has(a), `${a} committed but missing from postfix_lmtp`);
  const posting = [...inMap].filter((a) => !/-(bounces|confirm|join|leave|owner|request|subscribe|unsubscribe)@/.test(a));
  assert.equal(posting.length, rows.length, "no list in the map that is not committed");
}

test("50 creations at once: each returns with its list in the map; postmap runs far fewer than 50 times", async () => {
  const dir = varDir();
  const { maps, services } = processOn(dir);
  await maps.writeNow();
  await services.domains.create({ mailHost: "example.com" });
  // The first list puts the domain into postfix_domains: leave that out of the count.
  await services.lists.create({ address: "first@example.com" });
  const before = maps.stats();
  const N = 50;
  const seenAtReturn: string[] = [];
  const started = Date.now();
  await Promise.all(Array.from({ length: N }, async (_, i) => {
    await services.lists.create({ address: `l${i}@example.com` });
    // Synchronously, right as the call returns: the text, and the .db Postfix reads.
    assert.match(lmtpText(dir), new RegExp(`^l${i}@example\\.com\\s`, "m"), `l${i} in postfix_lmtp when create returned`);
    assert.equal(query(dir, "postfix_lmtp", `l${i}-bounces@example.com`), "lmtp:[127.0.0.1]:8024", `l${i} in postfix_lmtp.db when create returned`);
    seenAtReturn.push(`l${i}`);
  }));
  const after = maps.stats();
  const runs = after.postmapRuns - before.postmapRuns;
  console.log(`# ${N} concurrent creations: ${runs} postmap runs, ${after.writes - before.writes} map writes, ${after.groups - before.groups} groups, ${Date.now() - started} ms`);
  assert.equal(seenAtReturn.length, N);
  assert.ok(runs <= N / 3, `postmap ran ${runs} times for ${N} creations`);
  await assertMapsMatchDatabase(dir);
});

test("a failed group write fails every waiting change with 503; none of their lists exists", async () => {
  const dir = varDir();
  const { maps, services } = processOn(dir);
  await services.domains.create({ mailHost: "example.com" });
  await services.lists.create({ address: "kept@example.com" });
  // The data directory becomes a plain file: nothing can be written there.
  rmSync(join(dir, "data"), { recursive: true, force: true });
  writeFileSync(join(dir, "data"), "not a directory");
  const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => services.lists.create({ address: `f${i}@example.com` })));
  for (const r of results) {
    assert.equal(r.status, "rejected");
    const err = (r as PromiseRejectedResult).reason;
    assert.ok(err instanceof MailroomError && err.code === "maps-unavailable" && err.status === 503, String(err));
  }
  assert.deepEqual((await t.db.prisma.mailingList.findMany()).map((l) => l.listId), ["kept.example.com"]);
  // Once the directory is back, the maps follow the committed state again.
  rmSync(join(dir, "data"));
  await maps.writeNow();
  await assertMapsMatchDatabase(dir);
});

test("two writers on one database, creating, deleting and moving lists at once, never leave a committed list out", async () => {
  const dir = varDir();
  const one = processOn(dir);
  const two = processOn(dir);
  await one.maps.writeNow();
  await one.services.domains.create({ mailHost: "a.example" });
  await one.services.domains.create({ mailHost: "b.example" });
  for (let i = 0; i < 10; i++) await one.services.lists.create({ address: `old${i}@b.example` });
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    const p = i % 2 ? one : two;
    const domain = i % 3 ? "a.example" : "b.example";
    // At its domain or, once moved, at the alias domain.
    work.push(p.services.lists.create({ address: `n${i}@${domain}` }).then(() => {
      assert.match(lmtpText(dir), new RegExp(`^n${i}@`, "m"), `n${i} in the map when create returned`);
    }));
    if (i % 4 === 0) work.push(p.services.lists.remove(`old${i / 4}@b.example`));
    // Midway, b.example gets an alias domain: every b list moves, including ones being created.
    if (i === 10) work.push(two.services.domains.update("b.example", { aliasDomain: "lists.invalid" }));
  }
  await Promise.all(work);
  await assertMapsMatchDatabase(dir);
  assert.equal(query(dir, "postfix_lmtp", "n0@lists.invalid"), "lmtp:[127.0.0.1]:8024");
  assert.equal(query(dir, "postfix_vmap", "n0@b.example"), "n0@lists.invalid");
  assert.equal(query(dir, "postfix_lmtp", "old9@lists.invalid"), "lmtp:[127.0.0.1]:8024");
  assert.equal(query(dir, "postfix_lmtp", "old0@lists.invalid"), null, "deleted");
  assert.equal(query(dir, "postfix_lmtp", "n0@b.example"), null, "moved to the alias domain");
  assert.ok(one.maps.stats().groups + two.maps.stats().groups > 0);
});
