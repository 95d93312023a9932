// The list stage's batched finish (src/pipeline/list-finisher.ts) against a real
// database: posts to one list finished together get consecutive numbers in one
// statement; a lost claim or a number taken elsewhere writes nothing of the batch,
// and its posts are then finished one by one.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { addMember, createList, insertPost, outJobs, quietLog } from "./db-helpers.js";
import { fakeDmarc, message } from "./helpers.js";
import { claim } from "../../src/queue/jobs.js";
import { processPost, type ListQueueDeps } from "../../src/pipeline/list-queue.js";
import { takeBatch } from "../../src/pipeline/list-finisher.js";
import { messageIdHash } from "../../src/domain/message-id.js";
import type { Database } from "../../src/db/client.js";

/** The database with its interactive transactions counted: list-queue.ts's one-by-one finish is one each. */
function countingTransactions(db: Database): { db: Database; transactions: () => number } {
  let n = 0;
  const prisma = new Proxy(db.prisma, {
    get(target, prop, recv) {
      if (prop === "$transaction") return (...a: unknown[]) => { n++; return (target.$transaction as (...x: unknown[]) => unknown)(...a); };
      const v = Reflect.get(target, prop, recv);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { db: { ...db, prisma } as Database, transactions: () => n };
}

let t: TestDatabase;
before(async () => { t = await createTestDatabase(); });
after(async () => { await t.close(); });
beforeEach(async () => { await t.reset(); });

const post = (i: number, extra: string[] = []) => message(["From: anne@example.com", `Message-ID: <p${i}@example.com>`, `Subject: post ${i}`, ...extra]);

/** Claims every list job and runs them at once through one handler's deps (one finisher). */
async function runAll(deps: ListQueueDeps, before?: (jobs: Awaited<ReturnType<typeof claim>>) => Promise<void>) {
  const jobs = await claim(t.db, "list", 50, 60);
  await before?.(jobs);
  await Promise.all(jobs.map((job) => processPost(deps, job, quietLog)));
  return jobs;
}

describe("list finisher", () => {
  it("posts to one list processed at once: consecutive numbers, fewer commits than posts", async () => {
    const list = await createList(t.db, { subjectPrefix: "[Test %d] ", personalize: "none" });
    await addMember(t.db, list, "anne@example.com");
    for (let i = 1; i <= 8; i++) await insertPost(t.db, post(i));
    await runAll({ db: t.db, log: quietLog, dmarc: fakeDmarc({}) });
    const subjects = (await outJobs(t.db)).map((o) => o.msg.get("Subject")!);
    assert.deepEqual(subjects.map((s) => Number(/\[Test (\d+)\]/.exec(s)![1])).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal((await t.db.prisma.mailingList.findUniqueOrThrow({ where: { id: list.id } })).postId, 9);
    assert.equal(await t.db.prisma.archivedMessage.count(), 8);
    const done = await t.db.prisma.job.findMany({ where: { queue: "list" } });
    assert.ok(done.every((j) => j.state === "done"));
    // A statement's now() is its transaction's start: jobs finished together share it.
    const commits = new Set(done.map((j) => j.finishedAt!.getTime())).size;
    assert.ok(commits < 8, `${commits} commits for 8 posts`);
  });

  it("a lost claim in a batch: that post writes nothing, the others are finished one by one", async () => {
    const list = await createList(t.db, { subjectPrefix: "[Test %d] ", personalize: "none" });
    await addMember(t.db, list, "anne@example.com");
    for (let i = 1; i <= 4; i++) await insertPost(t.db, post(i));
    const jobs = await runAll({ db: t.db, log: quietLog, dmarc: fakeDmarc({}) }, async (jobs) => {
      await t.db.prisma.job.update({ where: { id: jobs[1]!.id }, data: { lockedBy: "elsewhere:1" } });
    });
    const lost = await t.db.prisma.job.findUniqueOrThrow({ where: { id: jobs[1]!.id } });
    assert.equal(lost.state, "running");
    assert.equal((await outJobs(t.db)).length, 3);
    assert.equal((await t.db.prisma.mailingList.findUniqueOrThrow({ where: { id: list.id } })).postId, 4);
    const subjects = (await outJobs(t.db)).map((o) => o.msg.get("Subject")!).sort();
    assert.equal(new Set(subjects.map((s) => /\[Test (\d+)\]/.exec(s)![1])).size, 3, "distinct numbers");
  });

  it("a number taken elsewhere since it was read: the batch is redone from the list's number", async () => {
    const list = await createList(t.db, { subjectPrefix: "[Test %d] ", personalize: "none" });
    await addMember(t.db, list, "anne@example.com");
    const deps: ListQueueDeps = { db: t.db, log: quietLog, dmarc: fakeDmarc({}) };
    await insertPost(t.db, post(1));
    await runAll(deps);
    // Another process numbered posts 2-10 meanwhile: this one's next number (2) is stale.
    await t.db.prisma.mailingList.update({ where: { id: list.id }, data: { postId: 11 } });
    await insertPost(t.db, post(2));
    await insertPost(t.db, post(3));
    await runAll(deps);
    const numbers = (await outJobs(t.db)).map((o) => Number(/\[Test (\d+)\]/.exec(o.msg.get("Subject")!)![1])).sort((a, b) => a - b);
    assert.deepEqual(numbers, [1, 11, 12]);
    assert.equal((await t.db.prisma.mailingList.findUniqueOrThrow({ where: { id: list.id } })).postId, 13);
  });

  it("a number moved on since it was read: a burst that follows is still finished in batches, not one by one", async () => {
    const list = await createList(t.db, { subjectPrefix: "[Test %d] ", personalize: "none" });
    await addMember(t.db, list, "anne@example.com");
    const counted = countingTransactions(t.db);
    const deps: ListQueueDeps = { db: counted.db, log: quietLog, dmarc: fakeDmarc({}) };
    await insertPost(t.db, post(0));
    await runAll(deps);
    await t.db.prisma.mailingList.update({ where: { id: list.id }, data: { postId: 100 } }); // a REST edit
    const before = counted.transactions();
    for (let i = 1; i <= 40; i++) await insertPost(t.db, post(i));
    await runAll(deps);
    assert.equal(counted.transactions() - before, 0, "no post finished alone");
    const numbers = (await outJobs(t.db)).map((o) => Number(/\[Test (\d+)\]/.exec(o.msg.get("Subject")!)![1])).sort((a, b) => a - b);
    assert.deepEqual(numbers, [1, ...Array.from({ length: 40 }, (_, i) => 100 + i)]);
  });

  it("a batch's copies and archive rows: recipients kept, a reply archived in its parent's thread", async () => {
    const list = await createList(t.db, { subjectPrefix: "[Test %d] ", personalize: "none" });
    await addMember(t.db, list, "anne@example.com");
    const deps: ListQueueDeps = { db: t.db, log: quietLog, dmarc: fakeDmarc({}) };
    await insertPost(t.db, post(1, ["Date: Thu, 03 Dec 2026 10:00:00 +0000"]));
    await runAll(deps);
    await insertPost(t.db, post(2, ["In-Reply-To: <p1@example.com>"]));
    await insertPost(t.db, post(3));
    await runAll(deps);
    const rows = await t.db.prisma.archivedMessage.findMany({ orderBy: { id: "asc" } });
    const byPost = new Map(rows.map((r) => [r.messageIdHash, r]));
    const h = (i: number) => messageIdHash(`<p${i}@example.com>`);
    assert.deepEqual([1, 2, 3].map((i) => { const r = byPost.get(h(i))!; return [/post \d/.exec(r.subject)![0], r.sender, r.parentHash, r.threadHash]; }), [
      ["post 1", "anne@example.com", null, h(1)],
      ["post 2", "anne@example.com", h(1), h(1)],
      ["post 3", "anne@example.com", null, h(3)],
    ]);
    assert.equal(rows[0]!.sentAt?.toISOString(), "2026-12-03T10:00:00.000Z");
    const copies = await outJobs(t.db);
    assert.equal(copies.length, 3);
    for (const c of copies) {
      assert.deepEqual(c.message!.rcptTo, ["test@example.com"]);
      assert.equal(c.message!.mailFrom, "test-bounces@example.com");
    }
  });

  it("a batch of posts of different sizes with bytes that are not UTF-8: each copy and archive row holds its own post's bytes", async () => {
    const list = await createList(t.db, { subjectPrefix: "[Test %d] ", personalize: "none" });
    await addMember(t.db, list, "anne@example.com");
    // Lines of bytes 0x80-0xff (and some ASCII), none CR or LF, different per post.
    const body = (i: number, size: number) => {
      const b = Buffer.alloc(size);
      for (let k = 0; k < size; k++) b[k] = k % 72 === 70 ? 0x0d : k % 72 === 71 ? 0x0a : 0x80 + ((k * 7 + i * 13) % 128);
      return b;
    };
    const sizes = [5, 70_000, 1, 300_000, 1_000];
    const bodies = sizes.map((n, i) => body(i + 1, n));
    for (const [i, b] of bodies.entries()) {
      const head = message(["From: anne@example.com", `Message-ID: <p${i + 1}@example.com>`, `Subject: post ${i + 1}`,
        "MIME-Version: 1.0", "Content-Type: application/octet-stream", "Content-Transfer-Encoding: 8bit"], "");
      await insertPost(t.db, Buffer.concat([head, b]));
    }
    await runAll({ db: t.db, log: quietLog, dmarc: fakeDmarc({}) });
    const copies = await outJobs(t.db);
    assert.equal(copies.length, sizes.length);
    const done = await t.db.prisma.job.findMany({ where: { queue: "list" } });
    assert.ok(new Set(done.map((j) => j.finishedAt!.getTime())).size < sizes.length, "posts finished together");
    const rows = await t.db.prisma.archivedMessage.findMany();
    assert.equal(rows.length, sizes.length);
    for (const [i, b] of bodies.entries()) {
      const id = `<p${i + 1}@example.com>`;
      const copy = copies.find((c) => c.message!.messageId === id)!;
      assert.equal(copy.message!.size, copy.raw.length);
      assert.equal(copy.msg.get("Message-ID")?.trim(), id);
      assert.ok(copy.raw.subarray(copy.raw.length - b.length).equals(b), `post ${i + 1}'s copy ends with its body`);
      const archived = Buffer.from(rows.find((r) => r.messageIdHash === messageIdHash(id))!.raw);
      assert.ok(archived.includes(`Message-ID: ${id}`), `post ${i + 1}'s archive row`);
      assert.ok(archived.subarray(archived.length - b.length).equals(b), `post ${i + 1}'s archive row ends with its body`);
      assert.ok(archived.length < b.length + 2_000);
    }
  });

  it("a reply waiting with the post it answers starts the next batch, so its archive thread finds that post", () => {
    const w = (i: number, extra: string[] = []) => ({ p: { base: post(i, extra), list: { personalize: "none" }, message: { messageIdHash: messageIdHash(`<p${i}@example.com>`) } } });
    const waiting = [w(1), w(2), w(3, ["In-Reply-To: <p1@example.com>"]), w(4)];
    assert.deepEqual(takeBatch(waiting as never[]).length, 2);
    assert.deepEqual(takeBatch(waiting as never[]).length, 2);
    assert.equal(waiting.length, 0);
  });

  it("a post claimed after the list's personalize changed starts the next batch, so it goes out as the list was when it was claimed", () => {
    const w = (i: number, personalize: string) => ({ p: { base: post(i), list: { personalize }, message: { messageIdHash: messageIdHash(`<p${i}@example.com>`) } } });
    const waiting = [w(1, "none"), w(2, "none"), w(3, "full"), w(4, "full"), w(5, "none")];
    assert.deepEqual([1, 2, 3].map(() => takeBatch(waiting as never[]).length), [2, 2, 1]);
    assert.equal(waiting.length, 0);
  });
});
