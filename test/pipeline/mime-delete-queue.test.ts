// What a post stopped by mime-delete leads to in the database, written together with
// the completion of its list job: nothing (discard), a rejection to the poster, the
// post forwarded to the administrators, a held post with the reason, or (preserve) the
// job shunted with its message kept. The post number is used up only by posts sent.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { claim } from "../../src/queue/jobs.js";
import { processPost } from "../../src/pipeline/list-queue.js";
import { PermanentFailure } from "../../src/queue/runner.js";
import { shunt } from "../../src/queue/transitions.js";
import { addMember, createList, drainListQueue, insertPost, outJobs, quietLog } from "./db-helpers.js";
import { fakeDmarc } from "./helpers.js";
import { unterminated, withExe, post } from "./content/mime.js";

let t: TestDatabase;
before(async () => { t = await createTestDatabase(); });
after(async () => { await t.close(); });
beforeEach(async () => { await t.reset(); });

const exeOnly = () => post('application/octet-stream; name="x.exe"', "TVqQ");

async function setUp(filterAction: "discard" | "reject" | "forward" | "preserve" = "discard") {
  const list = await createList(t.db, { filterContent: true, filterExtensions: ["exe"], filterAction, personalize: "none" });
  await addMember(t.db, list, "anne@example.com");
  await addMember(t.db, list, "owner@example.com", { role: "owner" });
  return list;
}

const postId = async (id: number) => (await t.db.prisma.mailingList.findUniqueOrThrow({ where: { id } })).postId;

describe("mime-delete in the list queue", () => {
  it("sends the filtered post and uses up a post number", async () => {
    const list = await setUp();
    await insertPost(t.db, withExe());
    await drainListQueue(t.db);
    const [out] = await outJobs(t.db);
    const parsed = await simpleParser(out!.raw);
    assert.equal(parsed.attachments.length, 0);
    assert.equal(out!.msg.get("X-Content-Filtered-By"), "mailroom mime-delete");
    assert.equal(await postId(list.id), 2);
  });
  it("discard: nothing is sent, no post number is used", async () => {
    const list = await setUp("discard");
    await insertPost(t.db, exeOnly());
    await drainListQueue(t.db);
    assert.equal((await outJobs(t.db)).length, 0);
    assert.equal(await postId(list.id), 1);
    assert.deepEqual((await t.db.prisma.job.findMany({ where: { queue: "list" } })).map((j) => j.state), ["done"]);
  });
  it("reject: the poster gets the reason", async () => {
    await setUp("reject");
    await insertPost(t.db, exeOnly());
    await drainListQueue(t.db);
    const [notice] = await outJobs(t.db);
    assert.deepEqual((notice!.data as { recipients: string[] }).recipients, ["anne@example.com"]);
    assert.match((await simpleParser(notice!.raw)).text!, /file extension \(\.exe\) is not allowed/);
  });
  it("forward: the owners get the post attached, the members nothing", async () => {
    await setUp("forward");
    await insertPost(t.db, exeOnly());
    await drainListQueue(t.db);
    const jobs = await outJobs(t.db);
    assert.equal(jobs.length, 1);
    assert.deepEqual((jobs[0]!.data as { recipients: string[] }).recipients, ["owner@example.com"]);
    const parsed = await simpleParser(jobs[0]!.raw);
    assert.match(parsed.subject!, /stopped by content filtering/);
    assert.match(jobs[0]!.raw.toString(), /^Content-Type: message\/rfc822/m);
    assert.match(jobs[0]!.raw.toString(), /name="x\.exe"/);
  });
  it("preserve: the job is shunted with the reason and nothing else is written", async () => {
    const list = await setUp("preserve");
    const messageId = await insertPost(t.db, exeOnly());
    const [job] = await claim(t.db, "list", 1, 60);
    await assert.rejects(processPost({ db: t.db, log: quietLog, dmarc: fakeDmarc({}) }, job!, quietLog), (err: Error) => {
      assert.ok(err instanceof PermanentFailure);
      assert.match(err.message, /^preserved by mime-delete: /);
      return true;
    });
    await shunt(t.db.prisma, job!, "preserved"); // what the runner does with a PermanentFailure
    assert.equal((await t.db.prisma.job.findFirstOrThrow({ where: { queue: "list" } })).messageId, messageId);
    assert.equal((await outJobs(t.db)).length, 0);
    assert.equal(await postId(list.id), 1);
  });
  it("a post that cannot be filtered is held with the reason, as received", async () => {
    await setUp();
    const raw = unterminated();
    await insertPost(t.db, raw);
    await drainListQueue(t.db);
    const [held] = await t.db.prisma.heldMessage.findMany();
    assert.ok(held);
    assert.match(held.reason, /^The post cannot be filtered safely: a multipart\/mixed part is never closed/);
    const stored = await t.db.prisma.message.findUniqueOrThrow({ where: { id: held.messageId } });
    assert.ok(Buffer.from(stored.raw).equals(raw));
    assert.equal((await outJobs(t.db)).filter((j) => (j.data as { kind: string }).kind === "list-post").length, 0);
  });
});
