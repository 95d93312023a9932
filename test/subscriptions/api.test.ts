// REST routes of this issue, in-process with inject: pending requests and decisions,
// starting a workflow, a member's bounce record, and the public one-click unsubscribe.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";
import { signUnsubscribeToken, UNSUBSCRIBE_TOKEN_LIFETIME_MS } from "../../src/domain/unsubscribe-token.js";

const SECRET = "test-unsubscribe-secret";

async function app(t: Parameters<typeof build>[0]) {
  const a = await build(t, { env: { MAILROOM_SECRET: SECRET } });
  assert.equal((await a.call("POST", "/domains", { mailHost: "lists.example.com" })).status, 201);
  assert.equal((await a.call("POST", "/lists", { address: "dev@lists.example.com", subscriptionPolicy: "confirm_then_moderate" })).status, 201);
  return a;
}

test("invite over REST, confirm over REST, then approve: requests move through their states", async (t) => {
  const a = await app(t);
  const started = await a.call("POST", "/lists/dev.lists.example.com/subscriptions", { address: "Anne@example.org", displayName: "Anne" });
  assert.equal(started.status, 202);
  assert.equal(started.body.status, "awaiting_confirmation");
  const token = started.body.token as string;
  const page = await a.call("GET", "/lists/dev@lists.example.com/requests");
  assert.equal(page.status, 200);
  assert.deepEqual(page.body.items.map((r: any) => [r.token, r.state, r.kind]), [[token, "awaiting_confirmation", "subscription"]]);
  assert.equal((await a.call("GET", `/lists/dev.lists.example.com/requests/${token}`)).body.address, "Anne@example.org");

  const confirmed = await a.call("POST", `/lists/dev.lists.example.com/requests/${token}`, { action: "accept" });
  assert.deepEqual(confirmed.body, { status: "awaiting_moderation", address: "Anne@example.org", token });
  const approved = await a.call("POST", `/lists/dev.lists.example.com/requests/${token}`, { action: "accept" });
  assert.deepEqual(approved.body, { status: "subscribed", address: "Anne@example.org" });
  assert.equal((await a.call("GET", "/lists/dev.lists.example.com/members/anne@example.org")).status, 200);
  assert.equal((await a.call("POST", "/lists/dev.lists.example.com/subscriptions", { address: "anne@example.org" })).status, 409);
});

test("request routes: 400 for a bad action or unknown field, 404 for unknown tokens and lists, 401 without auth", async (t) => {
  const a = await app(t);
  const { body } = await a.call("POST", "/lists/dev.lists.example.com/subscriptions", { address: "bo@example.org", confirm: false });
  assert.equal(body.status, "awaiting_moderation");
  assert.equal((await a.call("POST", `/lists/dev.lists.example.com/requests/${body.token}`, { action: "explode" })).status, 400);
  assert.equal((await a.call("POST", `/lists/dev.lists.example.com/requests/${body.token}`, { action: "accept", extra: 1 })).status, 400);
  assert.equal((await a.call("POST", "/lists/dev.lists.example.com/requests/nope", { action: "accept" })).status, 404);
  assert.equal((await a.call("GET", "/lists/nosuch.example.com/requests")).status, 404);
  assert.equal((await a.call("POST", "/lists/dev.lists.example.com/subscriptions", { address: "not an address" })).status, 400);
  const anon = await a.request({ method: "GET", url: "/lists/dev.lists.example.com/requests", headers: { authorization: "" } });
  assert.equal(anon.statusCode, 401);
  assert.equal((await a.call("POST", `/lists/dev.lists.example.com/requests/${body.token}`, { action: "reject", reason: "no" })).body.status, "rejected");
  assert.equal((await a.call("GET", "/lists/dev.lists.example.com/requests")).body.total, 0);
});

test("a member's bounce record shows score, status and events", async (t) => {
  const a = await app(t);
  await a.call("POST", "/lists/dev.lists.example.com/members", { address: "cy@example.org" });
  const list = await a.testDb.db.prisma.mailingList.findFirstOrThrow();
  await a.testDb.db.prisma.bounceEvent.create({ data: { listId: list.id, address: "cy@example.org", addressKey: "cy@example.org", kind: "permanent", reason: "550 5.1.1 unknown" } });
  const r = await a.call("GET", "/lists/dev.lists.example.com/members/CY@example.org/bounces");
  assert.equal(r.status, 200);
  assert.equal(r.body.deliveryStatus, "enabled");
  assert.deepEqual(r.body.events.map((e: any) => [e.kind, e.reason, e.processed]), [["permanent", "550 5.1.1 unknown", false]]);
  assert.equal((await a.call("GET", "/lists/dev.lists.example.com/members/zz@example.org/bounces")).status, 404);
});

test("one-click: GET shows a button without unsubscribing, POST unsubscribes without auth, forged tokens are 404", async (t) => {
  const a = await app(t);
  await a.call("POST", "/lists/dev.lists.example.com/members", { address: "Dee@example.org" });
  const token = signUnsubscribeToken(SECRET, { listId: "dev.lists.example.com", address: "dee@example.org" });
  const page = await a.request({ method: "GET", url: `/u/${token}`, headers: { authorization: "" } });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers["content-type"]), /text\/html/);
  assert.match(page.body, /<form method="post">/);
  assert.equal((await a.call("GET", "/lists/dev.lists.example.com/members/dee@example.org")).status, 200);

  const post = await a.request({
    method: "POST", url: `/u/${token}`, headers: { authorization: "", "content-type": "application/x-www-form-urlencoded" },
    payload: "List-Unsubscribe=One-Click",
  });
  assert.equal(post.statusCode, 200);
  assert.deepEqual(post.json(), { status: "unsubscribed", listId: "dev.lists.example.com", address: "dee@example.org" });
  assert.equal((await a.call("GET", "/lists/dev.lists.example.com/members/dee@example.org")).status, 404);
  const again = await a.request({ method: "POST", url: `/u/${token}`, headers: { authorization: "", accept: "text/html" }, payload: "List-Unsubscribe=One-Click" });
  assert.equal(again.statusCode, 200);
  assert.match(again.body, /is not subscribed/);

  const forged = signUnsubscribeToken("another-secret", { listId: "dev.lists.example.com", address: "dee@example.org" });
  assert.equal((await a.request({ method: "POST", url: `/u/${forged}`, headers: { authorization: "" } })).statusCode, 404);
  assert.equal((await a.request({ method: "GET", url: "/u/garbage", headers: { authorization: "" } })).statusCode, 404);
});

test("one-click: an expired token and a signature in a non-canonical encoding are refused, and the member stays", async (t) => {
  const a = await app(t);
  await a.call("POST", "/lists/dev.lists.example.com/members", { address: "eve@example.org" });
  const claim = { listId: "dev.lists.example.com", address: "eve@example.org" };
  const expired = signUnsubscribeToken(SECRET, claim, new Date(Date.now() - UNSUBSCRIBE_TOKEN_LIFETIME_MS - 60_000));
  const fresh = signUnsubscribeToken(SECRET, claim);
  for (const token of [expired, `${fresh}==`, `${fresh}=`]) {
    const page = await a.request({ method: "GET", url: `/u/${token}`, headers: { authorization: "" } });
    assert.equal(page.statusCode, 404, token);
    assert.match(page.body, /not valid|expired/);
    const post = await a.request({ method: "POST", url: `/u/${token}`, headers: { authorization: "" }, payload: "List-Unsubscribe=One-Click" });
    assert.equal(post.statusCode, 404, token);
    assert.equal(post.json().status, 404);
  }
  assert.equal((await a.call("GET", "/lists/dev.lists.example.com/members/eve@example.org")).status, 200, "still a member");
  // A token a little under the lifetime still works: a slow reader can leave.
  const old = signUnsubscribeToken(SECRET, claim, new Date(Date.now() - UNSUBSCRIBE_TOKEN_LIFETIME_MS + 3_600_000));
  const ok = await a.request({ method: "POST", url: `/u/${old}`, headers: { authorization: "" }, payload: "List-Unsubscribe=One-Click" });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().status, "unsubscribed");
});
