// The built-in archive over the native REST API (index by date, thread order, raw
// post by Message-ID-Hash, access by archivePolicy) and the archiver switches, native
// and /3.1, on a real database with posts run through the real list-queue handler.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { build, type TestApp } from "../helpers/app.js";
import { drainListQueue, insertPost } from "../pipeline/db-helpers.js";
import { messageIdHash } from "../../src/domain/message-id.js";

const msg = (id: string, subject: string, extra: string[] = []) =>
  Buffer.from([`From: Anne <anne@example.com>`, "To: test@example.com", `Subject: ${subject}`, `Message-ID: <${id}@example.com>`,
    "Date: Mon, 1 Dec 2025 10:00:00 +0000", ...extra, "", `Body of ${id}.`, ""].join("\r\n"));

async function listWithPosts(t: TestApp, archivePolicy: "public" | "private") {
  assert.equal((await t.call("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await t.call("POST", "/lists", { address: "test@example.com", archivePolicy })).status, 201);
  assert.equal((await t.call("POST", "/lists/test.example.com/members", { address: "anne@example.com" })).status, 201);
  // Two threads: a → (b → d), c; e answers a post that was never archived and starts its own.
  const posts = [
    msg("a", "First"), msg("b", "Re: First", ["In-Reply-To: <a@example.com>"]), msg("c", "Other"),
    msg("d", "Re: Re: First", ["In-Reply-To: <b@example.com>", "References: <a@example.com> <b@example.com>"]),
    msg("f", "Re: First again", ["References: <a@example.com>"]),
    msg("e", "Re: lost", ["In-Reply-To: <gone@example.com>"]),
  ];
  for (const p of posts) { await insertPost(t.testDb.db, p); await drainListQueue(t.testDb.db); }
}

const hash = (id: string) => messageIdHash(`<${id}@example.com>`);
const NO_AUTH = { authorization: "" };

describe("the built-in archive", () => {
  it("index by date, thread order, raw post by hash; a public archive is open", async (t) => {
    const app = await build(t);
    await listWithPosts(app, "public");
    const index = await app.request({ method: "GET", url: "/lists/test.example.com/archive?limit=4", headers: NO_AUTH });
    assert.equal(index.statusCode, 200);
    const page = index.json();
    assert.equal(page.total, 6);
    assert.deepEqual(page.items.map((p: { messageId: string }) => p.messageId), ["<a@example.com>", "<b@example.com>", "<c@example.com>", "<d@example.com>"]);
    assert.equal(page.items[0].subject, "[Test] First");
    assert.equal(page.items[0].sender, "anne@example.com");
    assert.equal(page.items[0].date, "2025-12-01T10:00:00.000Z");
    const rest = (await app.call("GET", `/lists/test@example.com/archive?limit=4&cursor=${page.nextCursor}`)).body;
    assert.deepEqual(rest.items.map((p: { messageId: string }) => p.messageId), ["<f@example.com>", "<e@example.com>"]);
    assert.equal(rest.nextCursor, undefined);

    const threads = (await app.request({ method: "GET", url: "/lists/test.example.com/archive/threads", headers: NO_AUTH })).json();
    assert.equal(threads.total, 3);
    const shape = threads.items.map((th: { posts: { messageId: string; depth: number }[] }) => th.posts.map((p) => `${p.depth}:${p.messageId.slice(1, 2)}`));
    assert.deepEqual(shape, [["0:a", "1:b", "2:d", "1:f"], ["0:c"], ["0:e"]]);
    assert.equal(threads.items[0].threadHash, hash("a"));
    assert.equal(threads.items[0].count, 4);
    const two = (await app.call("GET", "/lists/test.example.com/archive/threads?limit=2")).body;
    assert.equal(two.items.length, 2);
    assert.deepEqual((await app.call("GET", `/lists/test.example.com/archive/threads?cursor=${two.nextCursor}`)).body.items.map((x: { threadHash: string }) => x.threadHash), [hash("e")]);

    const raw = await app.request({ method: "GET", url: `/lists/test.example.com/archive/messages/${hash("b")}`, headers: NO_AUTH });
    assert.equal(raw.statusCode, 200);
    assert.match(String(raw.headers["content-type"]), /^message\/rfc822/);
    assert.match(raw.body, /^Message-ID: <b@example.com>\r$/m);
    assert.match(raw.body, /^List-Id: Test <test.example.com>\r$/m);
    assert.match(raw.body, /Body of b\./);
    const missing = await app.request({ method: "GET", url: `/lists/test.example.com/archive/messages/${hash("zz")}` });
    assert.equal(missing.statusCode, 404);
    assert.equal((await app.request({ method: "GET", url: "/lists/test.example.com/archive/messages/not-a-hash" })).statusCode, 400);
    // A NUL in the list reference names no list (PostgreSQL would refuse it): 401 without credentials, 404 with.
    for (const path of ["/lists/a%00b/archive", "/lists/a%00b/archive/threads", `/lists/a%00b/archive/messages/${hash("b")}`]) {
      assert.equal((await app.request({ method: "GET", url: path, headers: NO_AUTH })).statusCode, 401, path);
      assert.equal((await app.request({ method: "GET", url: path })).statusCode, 404, path);
    }
  });

  it("a private list's archive needs the API's credentials, and so does a list that does not exist", async (t) => {
    const app = await build(t);
    await listWithPosts(app, "private");
    for (const url of ["/lists/test.example.com/archive", "/lists/test.example.com/archive/threads", `/lists/test.example.com/archive/messages/${hash("a")}`, "/lists/nope.example.com/archive"]) {
      const res = await app.request({ method: "GET", url, headers: NO_AUTH });
      assert.equal(res.statusCode, 401, url);
      assert.match(String(res.headers["www-authenticate"]), /^Basic/);
      assert.match(String(res.headers["content-type"]), /problem\+json/);
    }
    const wrong = await app.request({ method: "GET", url: "/lists/test.example.com/archive", headers: { authorization: `Basic ${Buffer.from("admin:wrong").toString("base64")}` } });
    assert.equal(wrong.statusCode, 401);
    assert.equal((await app.call("GET", "/lists/test.example.com/archive")).body.total, 6);
    assert.equal((await app.call("GET", "/lists/nope.example.com/archive")).status, 404);
  });

  it("nothing is archived for a list archived never, or with the built-in archive switched off", async (t) => {
    const app = await build(t);
    await app.call("POST", "/domains", { mailHost: "example.com" });
    await app.call("POST", "/lists", { address: "test@example.com", archivePolicy: "never" });
    await app.call("POST", "/lists/test.example.com/members", { address: "anne@example.com" });
    await insertPost(app.testDb.db, msg("n1", "never"));
    await drainListQueue(app.testDb.db);
    assert.equal((await app.call("PATCH", "/lists/test.example.com", { archivePolicy: "public" })).status, 200);
    assert.deepEqual((await app.call("PATCH", "/lists/test.example.com/archivers", { prototype: false })).body, { prototype: false });
    await insertPost(app.testDb.db, msg("n2", "off"));
    await drainListQueue(app.testDb.db);
    assert.equal((await app.call("GET", "/lists/test.example.com/archive")).body.total, 0);
    assert.equal(await app.testDb.db.prisma.job.count({ where: { queue: "out" } }), 2, "both posts were delivered");
  });
});

describe("archiver switches", () => {
  it("only the archivers the site offers; on by default; native PATCH and Mailman's PATCH/PUT change the same switches", async (t) => {
    const app = await build(t, { env: { MAILROOM_HYPERKITTY_URL: "http://127.0.0.1:9/hyperkitty", MAILROOM_HYPERKITTY_API_KEY: "k" } });
    await app.call("POST", "/domains", { mailHost: "example.com" });
    await app.call("POST", "/lists", { address: "test@example.com" });
    assert.deepEqual((await app.call("GET", "/lists/test.example.com/archivers")).body, { hyperkitty: true, prototype: true });
    assert.deepEqual((await app.call("GET", "/3.1/lists/test.example.com/archivers")).body, { hyperkitty: true, prototype: true, http_etag: (await app.call("GET", "/3.1/lists/test.example.com/archivers")).body.http_etag });
    assert.equal((await app.call("PATCH", "/lists/test.example.com/archivers", { "mail-archive": true })).status, 400, "not offered here");
    assert.equal((await app.call("PATCH", "/lists/test.example.com/archivers", { mhonarc: true })).status, 400, "not a schema field");
    assert.deepEqual((await app.call("PATCH", "/lists/test@example.com/archivers", { hyperkitty: false })).body, { hyperkitty: false, prototype: true });
    // Mailman's face: form-encoded booleans, 204; PUT wants every offered archiver.
    const form = (method: "PATCH" | "PUT", body: string) => app.request({ method, url: "/3.1/lists/test.example.com/archivers", payload: body, headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal((await form("PATCH", "hyperkitty=true")).statusCode, 204);
    assert.equal((await form("PATCH", "mail-archive=true")).statusCode, 400);
    assert.equal((await form("PUT", "prototype=false")).statusCode, 400);
    assert.equal((await form("PUT", "prototype=false&hyperkitty=false")).statusCode, 204);
    const now = (await app.call("GET", "/3.1/lists/test.example.com/archivers")).body;
    assert.equal(now.hyperkitty, false);
    assert.equal(now.prototype, false);
    assert.deepEqual((await app.call("GET", "/lists/test.example.com/archivers")).body, { hyperkitty: false, prototype: false });
  });

  it("archive_policy on Mailman's face is the native archivePolicy (HyperKitty reads it to mark a list private)", async (t) => {
    const app = await build(t);
    await app.call("POST", "/domains", { mailHost: "example.com" });
    await app.call("POST", "/lists", { address: "test@example.com", archivePolicy: "private" });
    assert.equal((await app.call("GET", "/3.1/lists/test.example.com/config")).body.archive_policy, "private");
    const res = await app.request({ method: "PATCH", url: "/3.1/lists/test.example.com/config", payload: "archive_policy=public", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(res.statusCode, 204);
    assert.equal((await app.call("GET", "/lists/test.example.com")).body.archivePolicy, "public");
  });
});
