// Mailman's REST member changes send what Mailman sends: a direct subscribe (every
// pre_* flag) welcomes the member unless send_welcome_message is false, a DELETE says
// goodbye, and with admin_notify_mchanges the owners hear of both. Over inject; the
// notices are read from the out queue.
import { test } from "node:test";
import assert from "node:assert/strict";
import { simpleParser } from "mailparser";
import { build } from "../../helpers/app.js";

test("Mailman REST member changes and their notices", async (t) => {
  const { call, testDb } = await build(t);
  const notices = async () => {
    const jobs = await testDb.db.prisma.job.findMany({ where: { queue: "out" }, orderBy: { id: "asc" }, include: { message: true } });
    return Promise.all(jobs.map(async (j) => {
      const m = await simpleParser(Buffer.from(j.message!.raw));
      return [(j.data as { recipients: string[] }).recipients.join(","), m.subject ?? ""];
    }));
  };
  assert.equal((await call("POST", "/3.1/domains", { mail_host: "example.com" })).status, 201);
  assert.equal((await call("POST", "/3.1/lists", { fqdn_listname: "ant@example.com" })).status, 201);
  assert.equal((await call("PATCH", "/3.1/lists/ant.example.com/config", { admin_notify_mchanges: true })).status, 204);
  const pre = { list_id: "ant.example.com", pre_verified: true, pre_confirmed: true, pre_approved: true };
  assert.equal((await call("POST", "/3.1/members", { ...pre, subscriber: "boss@example.com", role: "owner" })).status, 201);
  assert.deepEqual(await notices(), [], "an owner is not a subscription");

  const added = await call("POST", "/3.1/members", { ...pre, subscriber: "ann@example.org", display_name: "Ann" });
  assert.equal(added.status, 201);
  assert.equal((await call("POST", "/3.1/members", { ...pre, subscriber: "bob@example.org", send_welcome_message: false })).status, 201);
  assert.equal((await call("POST", "/3.1/members", { ...pre, subscriber: "bob@example.org" })).status, 409);
  const memberPath = new URL(String(added.headers.location), "http://x").pathname;
  assert.equal((await call("DELETE", memberPath)).status, 204);
  assert.deepEqual(await notices(), [
    ["ann@example.org", 'Welcome to the "Ant" mailing list'],
    ["boss@example.com", "Ant subscription notification"],
    ["boss@example.com", "Ant subscription notification"],
    ["ann@example.org", 'You have left the "Ant" mailing list'],
    ["boss@example.com", "Ant unsubscription notification"],
  ]);
});
