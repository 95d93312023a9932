// createMaps (src/mta/maps.ts) for MAILROOM_MTA_INCOMING=exim and =sendmail, against a
// real database and, for Sendmail, the real makemap (unpacked by
// scripts/install-mtas.sh): the files exist from the start, follow list changes
// inside the caller's transaction, a failed write or makemap rolls the change back
// (503) and leaves the previous files intact, and Sendmail's reload command runs
// only when its relay domains change.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { createMaps, type Maps } from "../../src/mta/maps.js";
import { MailroomError } from "../../src/domain/errors.js";
import type { Tx } from "../../src/db/client.js";
import type { MapsChange } from "../../src/mta/updater.js";
import { inMapsTransaction } from "../../src/services/transaction.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { mtaRoot } from "../helpers/mta-config.js";

let t: TestDatabase;
const log = createLogger("silent");
const dirs: string[] = [];
// makemap reads a sendmail.cf; this one only trusts the sticky /tmp the test works under.
const smConf = mkdtempSync(join(tmpdir(), "mailroom-smconf-"));
chmodSync(smConf, 0o755);
writeFileSync(join(smConf, "sendmail.cf"), "O DontBlameSendmail=TrustStickyBit\n");
const makemapBin = () => join(mtaRoot("sendmail"), "usr/libexec/sendmail/makemap");
const makemap = () => `${makemapBin()} -C ${join(smConf, "sendmail.cf")}`;

before(async () => { t = await createTestDatabase(); });
after(async () => {
  await t.close();
  for (const d of [smConf, ...dirs]) rmSync(d, { recursive: true, force: true });
});
beforeEach(async () => { await t.reset(); });

function setup(env: Record<string, string>): { maps: Maps; data: string; varDir: string } {
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-mtafiles-"));
  dirs.push(varDir);
  const config = loadConfig({ MAILROOM_VAR_DIR: varDir, MAILROOM_TRANSPORT_HOST: "127.0.0.1", MAILROOM_TRANSPORT_PORT: "8024", MAILROOM_POSTMAP: "off", ...env });
  return { maps: createMaps({ db: t.db, config, log }), data: join(varDir, "data"), varDir };
}

function change(maps: Maps, fn: (tx: Tx) => Promise<MapsChange>): Promise<void> {
  return inMapsTransaction({ db: t.db, maps }, async (tx, regenerateMaps) => { await regenerateMaps(await fn(tx)); });
}

async function newList(maps: Maps, listName: string, mailHost: string, aliasDomain: string | null = null) {
  await change(maps, async (tx) => {
    const d = (await tx.domain.findUnique({ where: { mailHost } })) ?? (await tx.domain.create({ data: { mailHost, aliasDomain } }));
    await tx.mailingList.create({
      data: { listName, mailHost, listId: `${listName}.${mailHost}`, domainId: d.id, displayName: listName, subjectPrefix: `[${listName}] ` },
    });
    return { lists: [`${listName}.${mailHost}`] };
  });
}

/** The keys and values of a Sendmail hash map, as makemap -u prints them. */
function dump(data: string, map: string): string[] {
  const r = spawnSync("sh", ["-c", `${makemap()} -u hash ${join(data, map)}`], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split("\n").filter(Boolean).map((l) => l.replace("\t", " ")).sort();
}

const lines = (path: string) => readFileSync(path, "utf8").split("\n").filter((l) => l && !l.startsWith("#"));

test("exim: the three lsearch files exist from the start (text only) and follow a list creation", async () => {
  const { maps, data } = setup({ MAILROOM_MTA_INCOMING: "exim" });
  await maps.writeNow();
  assert.deepEqual(readdirSync(data).sort(), ["exim_domains", "exim_lmtp", "exim_vmap"]);
  await newList(maps, "mylist", "example.com");
  await newList(maps, "team", "aliased.example", "lists.invalid");
  assert.ok(lines(join(data, "exim_lmtp")).some((l) => /^mylist-bounces@example\.com\s+lmtp:\[127\.0\.0\.1\]:8024$/.test(l)));
  assert.ok(lines(join(data, "exim_lmtp")).some((l) => l.startsWith("team@lists.invalid ")));
  assert.deepEqual(lines(join(data, "exim_domains")), ["aliased.example aliased.example", "example.com example.com", "lists.invalid aliased.example"]);
  assert.ok(lines(join(data, "exim_vmap")).some((l) => /^team-request@aliased\.example\s+team-request@lists\.invalid$/.test(l)));
  assert.match(readFileSync(join(data, "exim_lmtp"), "utf8"), /read by Exim\n# as an lsearch file/);
});

test("exim: a file that cannot be written is a 503 and the change rolls back", async () => {
  const { maps, varDir } = setup({ MAILROOM_MTA_INCOMING: "exim" });
  writeFileSync(join(varDir, "data"), "not a directory");
  await assert.rejects(newList(maps, "mylist", "example.com"),
    (err: unknown) => err instanceof MailroomError && err.code === "maps-unavailable" && err.status === 503 && /exim files/.test(err.message));
  assert.equal(await t.db.prisma.mailingList.count(), 0, "rolled back");
});

test("sendmail: access map and mailertable built by makemap inside the change; relay domains as text", async () => {
  const { maps, data } = setup({ MAILROOM_MTA_INCOMING: "sendmail", MAILROOM_MAKEMAP: makemap() });
  await maps.writeNow();
  assert.deepEqual(readdirSync(data).sort(), ["sendmail_access", "sendmail_access.db", "sendmail_mailertable", "sendmail_mailertable.db", "sendmail_relay_domains"]);
  await newList(maps, "mylist", "example.com");
  const access = dump(data, "sendmail_access");
  assert.ok(access.includes("to:mylist@example.com OK"), access.join("\n"));
  assert.ok(access.includes("to:mylist-bounces@example.com OK"));
  assert.ok(access.includes("to:example.com ERROR:5.1.1:550 unknown list address"));
  assert.equal(access.length, 10);
  assert.deepEqual(dump(data, "sendmail_mailertable"), ["example.com lmtp:[127.0.0.1]"]);
  assert.deepEqual(lines(join(data, "sendmail_relay_domains")), ["example.com"]);
});

test("sendmail: a failing makemap is a 503, the change rolls back, the live map and its .db are untouched", async () => {
  const good = setup({ MAILROOM_MTA_INCOMING: "sendmail", MAILROOM_MAKEMAP: makemap() });
  await newList(good.maps, "old", "example.com");
  const before = readFileSync(join(good.data, "sendmail_access"), "utf8");
  const beforeDb = statSync(join(good.data, "sendmail_access.db"));
  const bad = createMaps({ db: t.db, log, config: loadConfig({ MAILROOM_VAR_DIR: good.varDir, MAILROOM_MTA_INCOMING: "sendmail", MAILROOM_MAKEMAP: "false" }) });
  await assert.rejects(newList(bad, "new", "example.com"),
    (err: unknown) => err instanceof MailroomError && err.status === 503 && /sendmail_access: makemap exited 1/.test(err.message));
  assert.equal(await t.db.prisma.mailingList.count(), 1, "rolled back");
  assert.equal(readFileSync(join(good.data, "sendmail_access"), "utf8"), before);
  assert.equal(statSync(join(good.data, "sendmail_access.db")).ino, beforeDb.ino);
  assert.ok(!dump(good.data, "sendmail_access").includes("to:new@example.com OK"));
  assert.deepEqual(readdirSync(good.data).filter((f) => f.startsWith(".")), [], "no temporary files left");
});

test("sendmail: the reload command runs after a new domain, not after a new list in a known one", async () => {
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-reload-"));
  dirs.push(varDir);
  const marks = join(varDir, "reloads");
  const { maps } = setup({ MAILROOM_MTA_INCOMING: "sendmail", MAILROOM_MAKEMAP: makemap(), MAILROOM_SENDMAIL_RELOAD: `echo reload >> ${marks}` });
  const reloads = () => (existsSync(marks) ? lines(marks).length : 0);
  await maps.writeNow();
  assert.equal(reloads(), 1, "the first write creates the relay domains file");
  await newList(maps, "a", "example.com");
  assert.equal(reloads(), 2, "a new domain: reloaded before the call returned");
  await newList(maps, "b", "example.com");
  assert.equal(reloads(), 2, "a known domain: no reload");
});
