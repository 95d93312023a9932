// /lists/{list}/held over inject(): list, show with headers, accept (the post then
// goes through the pipeline to an out job), discard, reject (bounce notice queued),
// defer (still held), 404s and 400s.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import { build, type TestApp } from "../helpers/app.js";
import { drainListQueue, insertPost, outJobs } from "../pipeline/db-helpers.js";
import { message } from "../pipeline/helpers.js";

async function setup(a: TestApp) {
  assert.equal((await a.call("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await a.call("POST", "/lists", { address: "test@example.com", displayName: "Test" })).status, 201);
  assert.equal((await a.call("POST", "/lists/test.example.com/members", { address: "owner@example.com", role: "owner" })).status, 201);
  assert.equal((await a.call("POST", "/lists/test.example.com/members", { address: "member@example.com" })).status, 201);
}

/** Holds one nonmember post per subject; returns the held ids in order. */
async function hold(a: TestApp, ...subjects: string[]): Promise<number[]> {
  for (const s of subjects) {
    await insertPost(a.testDb.db, message(["From: Stranger <stranger@example.org>", "To: test@example.com", `Subject: ${s}`, `Message-ID: <${s}@example.org>`]), "stranger@example.org");
  }
  await drainListQueue(a.testDb.db);
  const rows = await a.testDb.db.prisma.heldMessage.findMany({ orderBy: { id: "asc" } });
  await a.testDb.db.prisma.job.deleteMany({ where: { queue: "out" } }); // the moderator notices
  return rows.map((r) => r.id);
}

describe("held messages API", () => {
  it("moderates held posts", async (t) => {
    const a = await build(t);
    await setup(a);
    const [one, two, three, four] = await hold(a, "one", "two", "three", "four");
    const db = a.testDb.db;

    await t.test("lists held posts with reasons and rule hits", async () => {
      const res = await a.call("GET", "/lists/test.example.com/held?limit=3");
      assert.equal(res.status, 200);
      assert.equal(res.body.total, 4);
      assert.equal(res.body.items.length, 3);
      assert.ok(res.body.nextCursor);
      const first = res.body.items[0];
      assert.equal(first.id, one);
      assert.equal(first.sender, "stranger@example.org");
      assert.equal(first.subject, "one");
      assert.equal(first.messageId, "<one@example.org>");
      assert.equal(first.reason, "The message is not from a list member");
      assert.deepEqual(first.ruleHits, ["nonmember-moderation"]);
      const next = await a.call("GET", `/lists/test@example.com/held?cursor=${res.body.nextCursor}`);
      assert.deepEqual(next.body.items.map((i: { id: number }) => i.id), [four]);
    });

    await t.test("shows one with its headers", async () => {
      const res = await a.call("GET", `/lists/test@example.com/held/${one}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.headers.find((h: { name: string }) => h.name === "Subject"), { name: "Subject", value: "one" });
      assert.ok(res.body.size > 0);
    });

    await t.test("404 for an unknown list or id, 400 for a bad id or action", async () => {
      assert.equal((await a.call("GET", "/lists/nope.example.com/held")).status, 404);
      assert.equal((await a.call("GET", "/lists/test.example.com/held/99999")).status, 404);
      assert.equal((await a.call("POST", "/lists/test.example.com/held/99999", { action: "accept" })).status, 404);
      assert.equal((await a.call("GET", "/lists/test.example.com/held/abc")).status, 400);
      assert.equal((await a.call("POST", `/lists/test.example.com/held/${one}`, { action: "approve" })).status, 400);
      assert.equal((await a.call("POST", `/lists/test.example.com/held/${one}`, { action: "accept", extra: 1 })).status, 400);
      assert.equal((await a.call("POST", `/lists/test.example.com/held/${one}`, {})).status, 400);
      const noAuth = await a.request({ method: "GET", url: "/lists/test.example.com/held", headers: { authorization: "" } });
      assert.equal(noAuth.statusCode, 401);
    });

    await t.test("defer keeps it held", async () => {
      assert.equal((await a.call("POST", `/lists/test.example.com/held/${one}`, { action: "defer" })).status, 204);
      assert.equal((await a.call("GET", `/lists/test.example.com/held/${one}`)).status, 200);
    });

    await t.test("discard drops it without mail", async () => {
      assert.equal((await a.call("POST", `/lists/test.example.com/held/${two}`, { action: "discard" })).status, 204);
      assert.equal((await a.call("GET", `/lists/test.example.com/held/${two}`)).status, 404);
      assert.equal((await outJobs(db)).length, 0);
    });

    await t.test("reject drops it and queues a notice with the reason to the sender", async () => {
      assert.equal((await a.call("POST", `/lists/test.example.com/held/${three}`, { action: "reject", reason: "Off topic here" })).status, 204);
      assert.equal((await a.call("GET", `/lists/test.example.com/held/${three}`)).status, 404);
      const [notice] = await outJobs(db);
      assert.deepEqual(notice!.data, { kind: "direct", recipients: ["stranger@example.org"], envelopeFrom: "test-bounces@example.com" });
      assert.match((await simpleParser(notice!.raw)).text ?? "", /Off topic here/);
      await db.prisma.job.deleteMany({ where: { queue: "out" } });
    });

    await t.test("accept sends it through the pipeline to delivery", async () => {
      assert.equal((await a.call("POST", `/lists/test.example.com/held/${one}`, { action: "accept" })).status, 204);
      assert.equal((await a.call("GET", `/lists/test.example.com/held/${one}`)).status, 404);
      assert.equal(await drainListQueue(db), 1);
      const [out] = await outJobs(db);
      assert.equal((out!.data as { kind: string }).kind, "list-post");
      assert.equal(out!.msg.get("Subject"), "[Test] one");
      assert.equal(out!.msg.get("From"), "Stranger <stranger@example.org>");
      assert.equal(await db.prisma.heldMessage.count(), 1);
    });

    await t.test("a held post of another list is not found through this one", async () => {
      assert.equal((await a.call("POST", "/lists", { address: "other@example.com" })).status, 201);
      assert.equal((await a.call("GET", `/lists/other.example.com/held/${four}`)).status, 404);
    });
  });
});

