// Archiving end to end: a real `mailroom serve` child, posts in over LMTP, copies out
// to an smtp-server sink, and HyperKitty's archiver API answered by a real HTTP
// stand-in (test/helpers/hyperkitty-standin.ts; the real HyperKitty runs in the web
// UI e2e test). A post becomes an archive job that reaches HyperKitty with the key
// and the plugin's form fields; members' copies carry the archive headers HyperKitty
// reports; mail-archive gets a copy of public posts only. Fault: with HyperKitty down
// the members still get their copies at once, the archive jobs wait and retry, and
// once it is back every post arrives, none lost and none twice.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startE2eStack, type E2eStack } from "../helpers/e2e-stack.js";
import { startHyperKittyStandIn, type HyperKittyStandIn } from "../helpers/hyperkitty-standin.js";
import { RawMessage } from "../../src/domain/raw-message.js";
import { messageIdHash } from "../../src/domain/message-id.js";

const PUBLIC_URL = "https://lists.example.com";
const MAIL_ARCHIVE = "archive@mail-archive.example";
const MEMBERS = ["anne@example.com", "bob@example.org"];
let stack: E2eStack;
let hk: HyperKittyStandIn;

const post = (list: string, id: string, subject: string) => stack.lmtp("anne@example.com", `${list}@example.com`,
  [`From: anne@example.com`, `To: ${list}@example.com`, `Subject: ${subject}`, `Message-ID: <${id}@example.com>`, "", "Hello.", ""].join("\r\n"));
const copiesOf = (id: string) => stack.sink.messages.filter((m) => RawMessage.parse(m.raw).get("Message-ID")?.trim() === `<${id}@example.com>`);
const memberCopies = (id: string) => copiesOf(id).filter((m) => !m.rcptTo.includes(MAIL_ARCHIVE));
const queueDepth = async (name: string) => ((await stack.api("GET", "/queues")).body.items as { name: string; depth: number }[]).find((q) => q.name === name)!.depth;

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  hk = await startHyperKittyStandIn();
  stack = await startE2eStack({
    env: {
      MAILROOM_PUBLIC_URL: PUBLIC_URL,
      MAILROOM_HYPERKITTY_URL: hk.url,
      MAILROOM_HYPERKITTY_API_KEY: hk.key,
      MAILROOM_MAIL_ARCHIVE_ADDRESS: MAIL_ARCHIVE,
      MAILROOM_ARCHIVE_RETRY_MAX: "1",
    },
    timeoutMs: 120_000,
  });
  assert.equal((await stack.api("POST", "/domains", { mailHost: "example.com" })).status, 201);
  for (const [name, archivePolicy] of [["test", "public"], ["secret", "private"]] as const) {
    assert.equal((await stack.api("POST", "/lists", { address: `${name}@example.com`, archivePolicy, msgFooter: "FOOTER" })).status, 201);
    for (const m of MEMBERS) assert.equal((await stack.api("POST", `/lists/${name}.example.com/members`, { address: m })).status, 201);
  }
});

after(async () => {
  await stack?.close();
  await hk?.close();
});

describe("archiving end to end", () => {
  it("a post reaches HyperKitty as the plugin sends it, and members' copies carry the URLs HyperKitty reports", async (t) => {
    assert.deepEqual((await stack.api("GET", "/lists/test.example.com/archivers")).body, { hyperkitty: true, "mail-archive": true, prototype: true });
    const sent = Date.now();
    await post("test", "p1", "First");
    await until("the post in HyperKitty", () => hk.posts.length === 1);
    t.diagnostic(`LMTP 250 to HyperKitty's archive POST: ${Date.now() - sent} ms`);
    await stack.settled(["list", "out", "archive"], 60_000);
    assert.equal(hk.posts.length, 1);
    const [got] = hk.posts;
    assert.equal(got!.mlist, "test@example.com");
    assert.equal(got!.filename, "message.txt");
    assert.equal(got!.messageId, "<p1@example.com>");
    assert.equal(got!.authorization, `Token ${hk.key}`);
    assert.doesNotMatch(got!.raw.toString(), /FOOTER/, "the archive gets the post before decoration, as in Mailman");
    const reported = hk.urlFor("test@example.com", "<p1@example.com>");

    const copies = memberCopies("p1");
    assert.deepEqual(copies.flatMap((c) => c.rcptTo).sort(), MEMBERS);
    const hash = messageIdHash("<p1@example.com>");
    for (const c of copies) {
      const m = RawMessage.parse(c.raw);
      assert.deepEqual(m.getAll("List-Archive"), [
        `<${hk.urlFor("test@example.com")}>`,
        "<https://www.mail-archive.com/test%40example.com>",
        `<${PUBLIC_URL}/lists/test.example.com/archive>`,
      ]);
      assert.deepEqual(m.getAll("Archived-At"), [`<${reported}>`, `<https://www.mail-archive.com/${hash}>`, `<${PUBLIC_URL}/lists/test.example.com/archive/messages/${hash}>`]);
    }
    // mail-archive: one copy to its address, the archive's version (no footer).
    const [toMailArchive, ...more] = copiesOf("p1").filter((m) => m.rcptTo.includes(MAIL_ARCHIVE));
    assert.ok(toMailArchive);
    assert.equal(more.length, 0);
    assert.deepEqual(toMailArchive.rcptTo, [MAIL_ARCHIVE]);
    assert.equal(toMailArchive.mailFrom, "test-bounces@example.com");
    assert.doesNotMatch(toMailArchive.raw.toString(), /FOOTER/);
    // The built-in archive serves what Archived-At names.
    const res = await fetch(`http://127.0.0.1:${stack.server.httpPort}/lists/test.example.com/archive/messages/${hash}`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^Message-ID: <p1@example.com>/m);
    // The archiver key is a secret: it is in no log line.
    assert.equal(stack.server.logs.some((l) => JSON.stringify(l).includes(hk.key)), false);
  });

  it("a private list: archived in HyperKitty and the built-in archive, not mailed to mail-archive", async () => {
    await post("secret", "s1", "Private");
    await stack.settled(["list", "out", "archive"], 60_000);
    assert.deepEqual(hk.posts.filter((p) => p.mlist === "secret@example.com").map((p) => p.messageId), ["<s1@example.com>"]);
    assert.equal(copiesOf("s1").some((m) => m.rcptTo.includes(MAIL_ARCHIVE)), false);
    const m = RawMessage.parse(memberCopies("s1")[0]!.raw);
    assert.deepEqual(m.getAll("Archived-At"), [`<${hk.urlFor("secret@example.com", "<s1@example.com>")}>`,
      `<${PUBLIC_URL}/lists/secret.example.com/archive/messages/${messageIdHash("<s1@example.com>")}>`]);
    assert.equal((await fetch(`http://127.0.0.1:${stack.server.httpPort}/lists/secret.example.com/archive`)).status, 401);
  });

  it("no archive headers and no archive jobs when the list's archivers are all off", async () => {
    assert.equal((await stack.api("PATCH", "/lists/test.example.com/archivers", { hyperkitty: false, "mail-archive": false, prototype: false })).status, 200);
    const before = hk.posts.length;
    await post("test", "off1", "Off");
    await stack.settled(["list", "out", "archive"], 60_000);
    const copies = memberCopies("off1");
    assert.equal(copies.length, 2);
    for (const c of copies) {
      const m = RawMessage.parse(c.raw);
      assert.equal(m.has("List-Archive"), false);
      assert.equal(m.has("Archived-At"), false);
    }
    assert.equal(hk.posts.length, before);
    assert.equal(copiesOf("off1").some((m) => m.rcptTo.includes(MAIL_ARCHIVE)), false);
    assert.equal((await stack.api("PATCH", "/lists/test.example.com/archivers", { hyperkitty: true, "mail-archive": true, prototype: true })).status, 200);
  });

  it("fault: HyperKitty down, members still get their copies, the archive jobs wait, then arrive once each", async (t) => {
    await hk.down();
    const ids = ["f1", "f2", "f3"];
    for (const id of ids) await post("test", id, `During the outage ${id}`);
    await stack.settled(["list", "out"], 60_000);
    for (const id of ids) {
      const copies = memberCopies(id);
      assert.deepEqual(copies.flatMap((c) => c.rcptTo).sort(), MEMBERS, id);
      // The list URL HyperKitty gave earlier is kept, so the copies still link to it.
      assert.equal(RawMessage.parse(copies[0]!.raw).get("Archived-At"), `<${hk.urlFor("test@example.com", `<${id}@example.com>`)}>`);
    }
    // Tried at least twice (1 s, then capped at MAILROOM_ARCHIVE_RETRY_MAX=1 s) and still waiting, not shunted.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await queueDepth("archive"), 3);
    assert.equal(await queueDepth("shunt"), 0);
    const { body: down } = await stack.api("GET", "/queues");
    assert.ok(down.items.find((q: { name: string }) => q.name === "archive").oldestAgeSeconds >= 2);
    assert.equal(hk.posts.filter((p) => ids.some((id) => p.messageId === `<${id}@example.com>`)).length, 0);

    const back = Date.now();
    await hk.up();
    await until("the archive queue to drain", async () => (await queueDepth("archive")) === 0);
    const delay = Date.now() - back;
    t.diagnostic(`HyperKitty back to all 3 waiting posts archived: ${delay} ms (MAILROOM_ARCHIVE_RETRY_MAX=1)`);
    for (const id of ids) assert.equal(hk.posts.filter((p) => p.messageId === `<${id}@example.com>`).length, 1, `${id} once`);
    assert.equal(hk.posts.filter((p) => p.messageId === "<p1@example.com>").length, 1, "nothing archived twice");
    assert.equal(await queueDepth("shunt"), 0);
    assert.ok(delay < 10_000, `arrived ${delay} ms after HyperKitty came back`);
  });
});
