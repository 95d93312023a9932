// The socketmap server (src/mta/socketmap.ts) over a real socket, queried by a raw
// netstring client and by Postfix's own client (postmap -q … socketmap:…).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { startSocketmap, parseSocketmapAddress, type Socketmap } from "../../src/mta/socketmap.js";
import { encodeNetstring, NetstringDecoder } from "../../src/mta/netstring.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

let t: TestDatabase;
let sm: Socketmap;
const tmp = mkdtempSync(join(tmpdir(), "mailroom-sm-"));
writeFileSync(join(tmp, "main.cf"), "compatibility_level = 3.6\n");

before(async () => {
  t = await createTestDatabase();
  const p = t.db.prisma;
  const plain = await p.domain.create({ data: { mailHost: "example.com" } });
  const aliased = await p.domain.create({ data: { mailHost: "lists.example.org", aliasDomain: "lists.invalid" } });
  await p.domain.create({ data: { mailHost: "empty.example" } });
  for (const [d, name] of [[plain, "mylist"], [plain, "a-request"], [aliased, "team"]] as const) {
    await p.mailingList.create({ data: { listName: name, mailHost: d.mailHost, listId: `${name}.${d.mailHost}`, domainId: d.id, displayName: name, subjectPrefix: "" } });
  }
  const config = loadConfig({ MAILROOM_SOCKETMAP: "inet:127.0.0.1:0", MAILROOM_TRANSPORT_HOST: "127.0.0.1", MAILROOM_TRANSPORT_PORT: "8024", MAILROOM_VAR_DIR: tmp });
  sm = await startSocketmap({ db: t.db, config, log: createLogger("silent") });
});
after(async () => { await sm.close(); await t.close(); rmSync(tmp, { recursive: true, force: true }); });

async function ask(requests: string[]): Promise<string[]> {
  const { port } = parseSocketmapAddress(sm.address) as { port: number };
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    const dec = new NetstringDecoder();
    const replies: string[] = [];
    s.on("data", (d) => { replies.push(...dec.push(d)); if (replies.length === requests.length) { s.end(); resolve(replies); } });
    s.on("error", reject);
    // All requests in one write: replies must come back in order.
    s.write(Buffer.concat(requests.map(encodeNetstring)));
  });
}

// Asynchronous: the server answers from this very process.
async function postmapQuery(key: string, table: string): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)("postmap", ["-c", tmp, "-q", key, table], { timeout: 10_000 });
    return stdout.trim();
  } catch {
    return null;
  }
}

test("transport and recipient: list addresses, sub-addresses, +extensions, any case", async () => {
  const replies = await ask([
    "transport mylist@example.com", "transport MyList-Bounces+anne=example.net@Example.COM", "transport mylist-owner@example.com",
    "transport nolist@example.com", "transport example.com", "recipient mylist-request@example.com", "recipient nolist@example.com",
    "transport a-request@example.com", "transport a@example.com", "recipient team@lists.invalid", "recipient team@lists.example.org",
  ]);
  assert.deepEqual(replies, [
    "OK lmtp:[127.0.0.1]:8024", "OK lmtp:[127.0.0.1]:8024", "OK lmtp:[127.0.0.1]:8024",
    "NOTFOUND ", "NOTFOUND ", "OK OK", "NOTFOUND ",
    "OK lmtp:[127.0.0.1]:8024", "NOTFOUND ", "OK OK", "OK OK",
  ]);
});

test("domain and virtual maps; unknown map names and malformed requests", async () => {
  assert.deepEqual(await ask([
    "domain example.com", "domain empty.example", "domain lists.invalid", "domain .example.com", "domain sub.example.com",
    "virtual team-bounces@lists.example.org", "virtual team+tag@lists.example.org", "virtual mylist@example.com", "virtual team@lists.invalid",
    "aliases mylist@example.com", "nospace",
  ]), [
    "OK example.com", "NOTFOUND ", "OK lists.invalid", "NOTFOUND ", "NOTFOUND ",
    "OK team-bounces@lists.invalid", "OK team+tag@lists.invalid", "NOTFOUND ", "NOTFOUND ",
    'PERM unknown map "aliases"', "PERM malformed request",
  ]);
});

test("Postfix's own socketmap client gets the same answers", async () => {
  const table = (map: string) => `socketmap:${sm.address}:${map}`;
  assert.equal(await postmapQuery("mylist@example.com", table("transport")), "lmtp:[127.0.0.1]:8024");
  assert.equal(await postmapQuery("nolist@example.com", table("transport")), null);
  assert.equal(await postmapQuery("example.com", table("domain")), "example.com");
  assert.equal(await postmapQuery("team@lists.example.org", table("virtual")), "team@lists.invalid");
});

test("a bad netstring closes that connection only; the server keeps answering", async () => {
  const { port } = parseSocketmapAddress(sm.address) as { port: number };
  await new Promise<void>((resolve) => {
    const s = connect(port, "127.0.0.1", () => s.write("xyz:nonsense,"));
    s.on("close", () => resolve());
    s.on("error", () => {});
  });
  assert.deepEqual(await ask(["recipient mylist@example.com"]), ["OK OK"]);
});

test("a unix socket address works too", async () => {
  const path = join(tmp, "sm.sock");
  const other = await startSocketmap({ db: t.db, config: loadConfig({ MAILROOM_SOCKETMAP: `unix:${path}`, MAILROOM_VAR_DIR: tmp }), log: createLogger("silent") });
  try {
    assert.equal(other.address, `unix:${path}`);
    assert.equal(await postmapQuery("example.com", `socketmap:unix:${path}:domain`), "example.com");
  } finally {
    await other.close();
  }
});
