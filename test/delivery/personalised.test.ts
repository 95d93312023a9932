import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "../helpers/db.js";
import { startSmtpSink } from "../helpers/smtp-sink.js";
import { verifyUnsubscribeToken } from "../../src/domain/unsubscribe-token.js";
import { decodeVerp, recipientCandidates } from "../../src/domain/list-address.js";
import { addMembers, createList, enqueuePost, withDelivery } from "./fixtures.js";
import { until } from "../helpers/wait.js";


function header(raw: Buffer, name: string): string[] {
  const head = raw.toString("latin1").split(/\r\n\r\n/)[0]!.replace(/\r\n[ \t]/g, " ");
  return head.split("\r\n").filter((l) => l.toLowerCase().startsWith(name.toLowerCase() + ":")).map((l) => l.slice(name.length + 1).trim());
}

test("personalised delivery", async (t) => {
  const tdb = await createTestDatabase();
  const sink = await startSmtpSink();
  t.after(async () => { await sink.close(); await tdb.close(); });
  const { db } = tdb;
  t.beforeEach(async () => { await tdb.reset(); sink.reset(); });

  const deliver = (env: Record<string, string>, fn: () => Promise<void>) =>
    withDelivery(db, { port: sink.port, secret: "s3cret", env: { MAILROOM_PERSONALIZED_CHUNK: "2", ...env } }, fn);

  await t.test("one transaction per member with a VERP sender, own To, footer and one-click unsubscribe", async () => {
    const list = await createList(db, "dev", "lists.test", "full");
    await db.prisma.mailingList.update({ where: { id: list.id }, data: { msgFooter: "You are $user_address" } });
    const members = [
      { address: "anne@example.org", displayName: "Anne" },
      { address: "Bob@Other.test", displayName: "Bøb" },
      { address: "cat+tag@example.org", displayName: "" },
    ];
    await addMembers(db, list.id, members);
    await deliver({ MAILROOM_PUBLIC_URL: "https://lists.example.org/" }, async () => {
      await enqueuePost(db, list.listId, { personalize: "full" });
      await sink.waitForAccepted(3);
      await until(async () => (await db.prisma.job.count({ where: { state: { not: "done" } } })) === 0);
    });
    assert.equal(sink.messages.length, 3);
    for (const m of members) {
      const msgs = sink.messages.filter((x) => x.rcptTo.map((r) => r.toLowerCase()).includes(m.address.toLowerCase()));
      assert.equal(msgs.length, 1, m.address);
      const msg = msgs[0]!;
      assert.equal(msg.rcptTo.length, 1);
      // VERP: dev-bounces+local=domain@lists.test, decoded back to the member by the bounce side.
      const parts = recipientCandidates(msg.mailFrom).find((p) => p.subaddress === "bounces")!;
      assert.equal(parts.listName, "dev");
      assert.equal(decodeVerp(parts.extension)!.toLowerCase(), m.address.toLowerCase());
      const unsub = header(msg.raw, "List-Unsubscribe");
      assert.equal(unsub.length, 1, "the pipeline's List-Unsubscribe is replaced, not doubled");
      const url = /<https:\/\/lists\.example\.org\/u\/([^>]+)>/.exec(unsub[0]!);
      assert.ok(url, unsub[0]);
      assert.match(unsub[0]!, /<mailto:dev-leave@lists\.test>/);
      assert.deepEqual(verifyUnsubscribeToken("s3cret", url[1]!), { listId: "dev.lists.test", address: m.address.toLowerCase() });
      assert.deepEqual(header(msg.raw, "List-Unsubscribe-Post"), ["List-Unsubscribe=One-Click"]);
      assert.equal(header(msg.raw, "To").length, 1);
      assert.ok(header(msg.raw, "To")[0]!.includes(m.address));
      assert.ok(msg.raw.toString("utf8").includes(`You are ${m.address}`), "per-member footer");
    }
  });

  await t.test("a public URL alone personalises a list that is not (one-click unsubscribe needs a token each)", async () => {
    const list = await createList(db);
    await addMembers(db, list.id, [{ address: "a@x.test" }, { address: "b@x.test" }]);
    await deliver({ MAILROOM_PUBLIC_URL: "https://l.test" }, async () => {
      await enqueuePost(db, list.listId);
      await sink.waitForAccepted(2);
    });
    assert.deepEqual(sink.messages.map((m) => m.mailFrom).sort(), ["dev-bounces+a=x.test@lists.test", "dev-bounces+b=x.test@lists.test"]);
    for (const m of sink.messages) assert.equal(header(m.raw, "To")[0], "dev@lists.test", "To untouched without full personalisation");
  });

  await t.test("without a public URL and personalize none: bulk, the pipeline's headers as they are", async () => {
    const list = await createList(db);
    await addMembers(db, list.id, [{ address: "a@x.test" }, { address: "b@x.test" }]);
    await deliver({}, async () => {
      await enqueuePost(db, list.listId);
      await sink.waitForAccepted(2);
    });
    assert.equal(sink.messages.length, 1);
    assert.equal(sink.messages[0]!.mailFrom, "dev-bounces@lists.test");
    assert.deepEqual(header(sink.messages[0]!.raw, "List-Unsubscribe"), ["<mailto:dev-leave@lists.test>"]);
  });

  await t.test("a 5xx to one personalised copy is a bounce event; the others are delivered", async () => {
    const list = await createList(db, "dev", "lists.test", "individual");
    await addMembers(db, list.id, [{ address: "a@x.test" }, { address: "gone@x.test" }, { address: "c@x.test" }]);
    sink.failAlways("gone@x.test", 550, "5.1.1 User unknown");
    await deliver({}, async () => {
      await enqueuePost(db, list.listId, { personalize: "individual" });
      await sink.waitForAccepted(2);
      await until(async () => (await db.prisma.job.count({ where: { state: { not: "done" } } })) === 0);
    });
    const bounces = await db.prisma.bounceEvent.findMany();
    assert.deepEqual(bounces.map((b) => [b.addressKey, b.kind]), [["gone@x.test", "permanent"]]);
  });
});

test("one-click List-Unsubscribe-Post only with an https public URL (RFC 8058)", async () => {
  const { memberCopy } = await import("../../src/delivery/personalize.js");
  const raw = Buffer.from("From: a@x.org\r\nSubject: s\r\n\r\nbody\r\n");
  const list = { listId: "dev.lists.test", listName: "dev", mailHost: "lists.test" };
  const member = { address: "m@x.org", displayName: "" };
  const copy = (publicUrl: string) => memberCopy(raw, list, member, { personalize: "individual", publicUrl, secret: "s", decorate: null });
  assert.equal(header(copy("http://l.test"), "List-Unsubscribe").length, 1);
  assert.deepEqual(header(copy("http://l.test"), "List-Unsubscribe-Post"), []);
  assert.deepEqual(header(copy("https://l.test"), "List-Unsubscribe-Post"), ["List-Unsubscribe=One-Click"]);
});
