// The list-queue handler against a real database: each outcome's rows and jobs,
// written together with the completion of the list job.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { hashPassword } from "../../src/services/password-hash.js";
import { addMember, createList, drainListQueue, insertPost, outJobs } from "./db-helpers.js";
import { fakeDmarc, fixture, message } from "./helpers.js";
import { claim } from "../../src/queue/jobs.js";
import { processPost } from "../../src/pipeline/list-queue.js";
import { createLogger } from "../../src/log.js";

let t: TestDatabase;
before(async () => { t = await createTestDatabase(); });
after(async () => { await t.close(); });
beforeEach(async () => { await t.reset(); });

describe("list queue", () => {
  it("accepts a member's post: decorated copy from -bounces, out job, archive row, postId bumped, job done", async () => {
    const list = await createList(t.db, { msgFooter: "-- \n$display_name", personalize: "none" });
    await addMember(t.db, list, "anne@example.com", { receiveOwnPostings: false });
    const original = await insertPost(t.db, fixture("plain-text"));
    assert.equal(await drainListQueue(t.db), 1);
    const [out] = await outJobs(t.db);
    assert.ok(out);
    assert.deepEqual(out.data, { kind: "list-post", listId: "test.example.com", exclude: ["anne@example.com"], personalize: "none" });
    assert.notEqual(out.messageId, original);
    assert.equal(out.message!.mailFrom, "test-bounces@example.com");
    assert.equal(out.message!.messageId, "<plain-1@example.com>");
    assert.equal(out.msg.get("Subject"), "[Test] A plain post");
    assert.equal(out.msg.get("List-Id"), "Test <test.example.com>");
    assert.equal(out.msg.has("Approved"), false);
    assert.match(out.raw.toString(), /\r\n-- \r\nTest\r\n$/);
    assert.equal(await t.db.prisma.archivedMessage.count(), 1);
    assert.equal((await t.db.prisma.mailingList.findUniqueOrThrow({ where: { id: list.id } })).postId, 2);
    const listJobs = await t.db.prisma.job.findMany({ where: { queue: "list" } });
    assert.deepEqual(listJobs.map((j) => j.state), ["done"]);
  });

  it("a Subject that decodes to NUL is archived and held like any other (PostgreSQL refuses NUL in text)", async () => {
    const list = await createList(t.db, { personalize: "none" });
    await addMember(t.db, list, "anne@example.com");
    await insertPost(t.db, message(["From: anne@example.com", "Message-ID: <nul-1@example.com>", "Subject: =?utf-8?q?a=00b?="]));
    await insertPost(t.db, message(["From: stranger@example.org", "Message-ID: <nul-2@example.com>", "Subject: =?utf-8?q?c=00d?="]), "stranger@example.org");
    assert.equal(await drainListQueue(t.db), 2);
    assert.equal((await outJobs(t.db)).length, 1);
    assert.equal((await t.db.prisma.archivedMessage.findFirstOrThrow()).subject, "[Test] ab");
    assert.equal((await t.db.prisma.heldMessage.findFirstOrThrow()).subject, "cd");
    const listJobs = await t.db.prisma.job.findMany({ where: { queue: "list" } });
    assert.deepEqual(listJobs.map((j) => j.state), ["done", "done"]);
  });

  it("a post that came without a Message-ID goes out with the id LMTP gave it", async () => {
    const list = await createList(t.db, { personalize: "none" });
    await addMember(t.db, list, "anne@example.com");
    await insertPost(t.db, message(["From: anne@example.com", "Subject: no id"]));
    await drainListQueue(t.db);
    const [out] = await outJobs(t.db);
    assert.equal(out!.msg.get("Message-ID")?.trim(), "<none@example.com>");
  });

  it("posts processed at once get distinct post numbers", async () => {
    const list = await createList(t.db, { subjectPrefix: "[Test %d] ", personalize: "none" });
    await addMember(t.db, list, "anne@example.com");
    for (let i = 0; i < 4; i++) await insertPost(t.db, message(["From: anne@example.com", `Message-ID: <n${i}@example.com>`, "Subject: hi"]));
    const jobs = await claim(t.db, "list", 10, 60);
    assert.equal(jobs.length, 4);
    const quiet = createLogger("silent");
    await Promise.all(jobs.map((job) => processPost({ db: t.db, log: quiet, dmarc: fakeDmarc({}) }, job, quiet)));
    const subjects = (await outJobs(t.db)).map((o) => o.msg.get("Subject")).sort();
    assert.deepEqual(subjects, ["[Test 1] hi", "[Test 2] hi", "[Test 3] hi", "[Test 4] hi"]);
    assert.equal((await t.db.prisma.mailingList.findUniqueOrThrow({ where: { id: list.id } })).postId, 5);
  });

  it("holds a nonmember's post and notifies the moderators", async () => {
    const list = await createList(t.db);
    await addMember(t.db, list, "owner@example.com", { role: "owner" });
    await insertPost(t.db, fixture("plain-text"), "stranger@example.org");
    await drainListQueue(t.db);
    const held = await t.db.prisma.heldMessage.findMany();
    assert.equal(held.length, 1);
    assert.equal(held[0]!.reason, "The message is not from a list member");
    assert.deepEqual((held[0]!.context as { ruleHits: string[] }).ruleHits, ["nonmember-moderation"]);
    const [notice] = await outJobs(t.db);
    assert.deepEqual(notice!.data, { kind: "direct", recipients: ["owner@example.com"], envelopeFrom: "test-bounces@example.com" });
    assert.match(notice!.msg.get("Subject")!, /requires approval/);
    const parsed = await simpleParser(notice!.raw);
    assert.match(parsed.text ?? "", /not from a list member/);
    assert.match(notice!.raw.toString(), /Content-Type: message\/rfc822/);
  });

  it("holds without a notice when adminImmedNotify is off", async () => {
    const list = await createList(t.db, { adminImmedNotify: false });
    await addMember(t.db, list, "owner@example.com", { role: "owner" });
    await insertPost(t.db, fixture("plain-text"), "stranger@example.org");
    await drainListQueue(t.db);
    assert.equal(await t.db.prisma.heldMessage.count(), 1);
    assert.equal((await outJobs(t.db)).length, 0);
  });

  it("rejects with a notice to the poster giving the reason", async () => {
    await createList(t.db, { defaultNonmemberAction: "reject" });
    await insertPost(t.db, message(["From: bob@example.org", "To: test@example.com", "Subject: hi", "Message-ID: <r@x>"]), "bob@example.org");
    await drainListQueue(t.db);
    const [bounce] = await outJobs(t.db);
    assert.deepEqual(bounce!.data, { kind: "direct", recipients: ["bob@example.org"], envelopeFrom: "test-bounces@example.com" });
    assert.match((await simpleParser(bounce!.raw)).text ?? "", /automatically rejected/);
    assert.equal(bounce!.msg.get("In-Reply-To"), "<r@x>");
    assert.equal(bounce!.msg.get("Auto-Submitted"), "auto-replied");
  });

  it("never answers the null sender or an auto-submitted post", async () => {
    await createList(t.db, { defaultNonmemberAction: "reject" });
    await insertPost(t.db, message(["From: bob@example.org", "To: test@example.com", "Subject: hi"]), "");
    await insertPost(t.db, message(["From: bob@example.org", "To: test@example.com", "Subject: hi", "Auto-Submitted: auto-replied"]), "bob@example.org");
    // The same robot test as the command addresses: Precedence: bulk, another list's copy, MAILER-DAEMON.
    await insertPost(t.db, message(["From: bob@example.org", "To: test@example.com", "Subject: hi", "Precedence: bulk"]), "bob@example.org");
    await insertPost(t.db, message(["From: bob@example.org", "To: test@example.com", "Subject: hi", "List-Id: <other.example.org>"]), "bob@example.org");
    await insertPost(t.db, message(["From: bob@example.org", "To: test@example.com", "Subject: hi"]), "MAILER-DAEMON@example.org");
    assert.equal(await drainListQueue(t.db), 5);
    assert.equal((await outJobs(t.db)).length, 0);
  });

  it("discards a loop silently", async () => {
    const list = await createList(t.db);
    await addMember(t.db, list, "anne@example.com");
    await insertPost(t.db, fixture("looped"));
    await drainListQueue(t.db);
    assert.equal((await outJobs(t.db)).length, 0);
    assert.equal(await t.db.prisma.heldMessage.count(), 0);
  });

  it("an Approved: post from a nonmember goes out without the password", async () => {
    await createList(t.db, { moderatorPassword: await hashPassword("secret") });
    await insertPost(t.db, fixture("plain-text"), "stranger@example.org");
    await drainListQueue(t.db);
    const [out] = await outJobs(t.db);
    assert.equal(out?.msg.has("Approved"), false);
    assert.equal(out?.raw.includes("secret"), false);
  });

  it("a held post with a wrong password in the body is held without the password", async () => {
    await createList(t.db, { moderatorPassword: await hashPassword("other") });
    await insertPost(t.db, fixture("approved-body"), "stranger@example.org");
    await drainListQueue(t.db);
    const held = await t.db.prisma.heldMessage.findFirstOrThrow();
    const m = await t.db.prisma.message.findUniqueOrThrow({ where: { id: held.messageId } });
    assert.equal(Buffer.from(m.raw).includes("secret"), false);
  });

  it("munges From for a p=reject domain", async () => {
    const list = await createList(t.db);
    await addMember(t.db, list, "dee@strict.example");
    await insertPost(t.db, fixture("dmarc-reject-from"), "dee@strict.example");
    await drainListQueue(t.db, fakeDmarc({ "strict.example": "reject" }));
    const [out] = await outJobs(t.db);
    assert.equal(out?.msg.get("From"), "Dee Marc via Test <test@example.com>");
  });

  it("a post to a deleted list is dropped, not shunted", async () => {
    await insertPost(t.db, fixture("plain-text"), "anne@example.com", "gone.example.com");
    assert.equal(await drainListQueue(t.db), 1);
    assert.equal((await outJobs(t.db)).length, 0);
  });

  it("does nothing twice when the job was already finished elsewhere", async () => {
    const list = await createList(t.db);
    await addMember(t.db, list, "anne@example.com");
    await insertPost(t.db, fixture("plain-text"));
    const { claim } = await import("../../src/queue/jobs.js");
    const { processPost } = await import("../../src/pipeline/list-queue.js");
    const { quietLog } = await import("./db-helpers.js");
    const [job] = await claim(t.db, "list", 1, 60);
    await processPost({ db: t.db, log: quietLog, dmarc: fakeDmarc({}) }, job!, quietLog);
    await processPost({ db: t.db, log: quietLog, dmarc: fakeDmarc({}) }, job!, quietLog);
    assert.equal((await outJobs(t.db)).length, 1);
  });
});
