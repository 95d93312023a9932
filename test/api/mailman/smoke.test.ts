// The Mailman face over inject: form-encoded and JSON bodies, Mailman's status codes
// and error bodies, collections and paging, for the resources mailmanclient calls.
// (test/mailman-api/session.test.ts drives the same with the real mailmanclient.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../../helpers/app.js";

const form = (o: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) for (const x of [v].flat()) p.append(k, x);
  return p.toString();
};

test("Mailman REST API face", async (t) => {
  const { request } = await build(t);
  const call = async (method: string, url: string, body?: Record<string, unknown>, asJson = false) => {
    const r = await request({
      method: method as never, url,
      ...(body ? asJson ? { payload: body } : { payload: form(body as Record<string, string>), headers: { "content-type": "application/x-www-form-urlencoded" } } : {}),
    });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null, location: r.headers.location as string | undefined };
  };

  await t.test("system and versions", async () => {
    const v = await call("GET", "/3.1/system/versions");
    assert.equal(v.status, 200);
    assert.equal(v.body.api_version, "3.1");
    assert.match(v.body.http_etag, /^"[0-9a-f]{40}"$/);
    assert.equal((await call("GET", "/3.0/system/versions")).body.api_version, "3.0");
    assert.equal((await call("GET", "/3.1/system/preferences")).body.delivery_mode, "regular");
    assert.deepEqual((await call("GET", "/3.1/nonsense")).body, { title: "404 Not Found" });
  });

  await t.test("domains and lists, form-encoded and JSON", async () => {
    const d = await call("POST", "/3.1/domains", { mail_host: "example.com" });
    assert.equal(d.status, 201);
    assert.match(d.location!, /\/3\.1\/domains\/example\.com$/);
    assert.equal((await call("POST", "/3.1/domains", { mail_host: "example.com" })).status, 400);
    const bad = await call("POST", "/3.1/domains", { mail_host: "x.example", bogus: "1" });
    assert.deepEqual(bad.body, { title: "400 Bad Request", description: "Unexpected parameters: bogus" });
    const l = await call("POST", "/3.1/lists", { fqdn_listname: "ant@example.com" }, true);
    assert.equal(l.status, 201);
    assert.match(l.location!, /\/lists\/ant\.example\.com$/);
    assert.deepEqual((await call("POST", "/3.1/lists", { fqdn_listname: "ant@example.com" })).body.description, "Mailing list exists");
    assert.equal((await call("POST", "/3.1/lists", { fqdn_listname: "x@nowhere.example" })).body.description, "Domain does not exist: nowhere.example");
    const got = await call("GET", "/3.1/lists/ant@example.com");
    assert.deepEqual([got.body.list_id, got.body.fqdn_listname, got.body.member_count, got.body.display_name], ["ant.example.com", "ant@example.com", 0, "Ant"]);
    assert.equal((await call("GET", "/3.1/lists/nope.example.com")).status, 404);
    const all = await call("GET", "/3.1/domains/example.com/lists");
    assert.equal(all.body.total_size, 1);
  });

  await t.test("list config: read, patch, stored-only attributes, bad values", async () => {
    const c = await call("GET", "/3.1/lists/ant.example.com/config");
    assert.equal(c.body.subscription_policy, "confirm");
    assert.equal(c.body.digests_enabled, true);
    assert.equal(c.body.posting_address, "ant@example.com");
    const p = await call("PATCH", "/3.1/lists/ant.example.com/config", { subscription_policy: "moderate", digests_enabled: "false", bounce_info_stale_after: "3d", info: "About ants" });
    assert.equal(p.status, 204);
    const c2 = await call("GET", "/3.1/lists/ant.example.com/config");
    assert.deepEqual([c2.body.subscription_policy, c2.body.digests_enabled, c2.body.bounce_info_stale_after, c2.body.info], ["moderate", false, "3d", "About ants"]);
    assert.equal((await call("PATCH", "/3.1/lists/ant.example.com/config", { subscription_policy: "sometimes" })).status, 400);
    assert.equal((await call("PATCH", "/3.1/lists/ant.example.com/config", { posting_address: "x@example.com" })).body.description, "Read-only attribute: posting_address");
    assert.equal((await call("PATCH", "/3.1/lists/ant.example.com/config", { nonsense: "1" })).body.description, "Unknown attribute: nonsense");
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/config/info")).body.info, "About ants");
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/config/nonsense")).status, 404);
    await call("PATCH", "/3.1/lists/ant.example.com/config", { subscription_policy: "open" });
  });

  let memberLink = "";
  await t.test("members: pre-approved 201, confirmation 202, find, preferences, roster paging", async () => {
    const m = await call("POST", "/3.1/members", { list_id: "ant.example.com", subscriber: "Anne@example.com", display_name: "Anne", pre_verified: "true", pre_confirmed: "true", pre_approved: "true" });
    assert.equal(m.status, 201);
    memberLink = m.location!;
    const got = await call("GET", memberLink.replace(/^http:\/\/[^/]+/, ""));
    assert.deepEqual([got.body.email, got.body.role, got.body.list_id, got.body.delivery_mode, got.body.subscription_mode], ["anne@example.com", "member", "ant.example.com", "regular", "as_address"]);
    assert.match(got.body.user, /\/3\.1\/users\/[0-9a-f]{32}$/);
    assert.equal((await call("POST", "/3.1/members", { list_id: "ant.example.com", subscriber: "anne@example.com", pre_verified: "true", pre_confirmed: "true", pre_approved: "true" })).status, 409);
    const pending = await call("POST", "/3.1/members", { list_id: "ant.example.com", subscriber: "bart@example.com" });
    assert.equal(pending.status, 202);
    assert.equal(pending.body.token_owner, "subscriber");
    for (let i = 0; i < 5; i++) await call("POST", "/3.1/members", { list_id: "ant.example.com", subscriber: `m${i}@example.com`, pre_verified: "true", pre_confirmed: "true", pre_approved: "true" });
    const page2 = await call("GET", "/3.1/lists/ant.example.com/roster/member?count=2&page=2");
    assert.deepEqual([page2.body.start, page2.body.total_size, page2.body.entries.length], [2, 6, 2]);
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/roster/member?count=2&page=0")).status, 400);
    const found = await call("GET", "/3.1/members/find?subscriber=anne@example.com");
    assert.equal(found.body.total_size, 1);
    const prefs = memberLink.replace(/^http:\/\/[^/]+/, "") + "/preferences";
    assert.equal((await call("PATCH", prefs, { receive_own_postings: "false" })).status, 204);
    assert.deepEqual((await call("GET", prefs)).body.receive_own_postings, false);
    assert.equal((await call("PATCH", prefs, { receive_own_postings: "maybe" })).status, 400);
    const all = await call("GET", `${memberLink.replace(/^http:\/\/[^/]+/, "")}/all/preferences`);
    assert.deepEqual([all.body.receive_own_postings, all.body.delivery_status], [false, "enabled"]);
    const mass = await call("DELETE", "/3.1/lists/ant.example.com/roster/member", { emails: ["m0@example.com", "nobody@example.com"] });
    assert.deepEqual(mass.body, { "m0@example.com": true, "nobody@example.com": false });
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/member/m1@example.com")).status, 200);
    assert.equal((await call("DELETE", "/3.1/lists/ant.example.com/member/m1@example.com")).status, 204);
    assert.equal((await call("GET", "/3.1/members/zzz")).status, 404);
  });

  await t.test("users and addresses", async () => {
    const u = await call("POST", "/3.1/users", { email: "cris@example.com", display_name: "Cris", password: "pw" });
    assert.equal(u.status, 201);
    const path = u.location!.replace(/^http:\/\/[^/]+/, "");
    assert.equal((await call("POST", "/3.1/users", { email: "cris@example.com" })).body.description, "User already exists: cris@example.com");
    assert.equal((await call("GET", path)).body.display_name, "Cris");
    assert.equal((await call("POST", `${path}/login`, { cleartext_password: "pw" })).status, 204);
    assert.equal((await call("POST", `${path}/login`, { cleartext_password: "no" })).status, 403);
    assert.equal((await call("POST", `${path}/addresses`, { email: "cris@work.example.com" })).status, 201);
    assert.equal((await call("GET", `${path}/addresses`)).body.total_size, 2);
    assert.equal((await call("POST", "/3.1/addresses/cris@work.example.com/verify")).status, 204);
    assert.equal((await call("POST", `${path}/preferred_address`, { email: "cris@work.example.com" })).status, 201);
    assert.equal((await call("GET", `${path}/preferred_address`)).body.email, "cris@work.example.com");
    assert.equal((await call("GET", "/3.1/users/anne@example.com")).status, 200);
    assert.notEqual((await call("GET", "/3.1/addresses/anne@example.com")).body.verified_on, undefined);
    assert.equal((await call("GET", "/3.1/addresses/anne@example.com/memberships")).body.total_size, 1);
    assert.equal((await call("PATCH", `${path}/preferences`, { preferred_language: "fr" })).status, 204);
    assert.equal((await call("GET", `${path}/preferences`)).body.preferred_language, "fr");
    assert.equal((await call("GET", "/3.1/addresses/nobody@example.com")).status, 404);
  });

  await t.test("bans, header matches, templates, held and requests", async () => {
    assert.equal((await call("POST", "/3.1/lists/ant.example.com/bans", { email: "^.*@spam\\.example$" })).status, 201);
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/bans/x@spam.example")).status, 200);
    assert.equal((await call("POST", "/3.1/members", { list_id: "ant.example.com", subscriber: "x@spam.example", pre_verified: "true", pre_confirmed: "true", pre_approved: "true" })).body.description, "Membership is banned");
    assert.equal((await call("POST", "/3.1/bans", { email: "evil@example.org" })).status, 201);
    assert.equal((await call("POST", "/3.1/bans", { email: "evil@example.org" })).body.description, "Address is already banned");
    const hm = await call("POST", "/3.1/lists/ant.example.com/header-matches", { header: "X-Spam", pattern: "yes", action: "discard" });
    assert.equal(hm.status, 201);
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/header-matches")).body.entries[0].header, "x-spam");
    assert.equal((await call("PATCH", "/3.1/lists/ant.example.com/uris", { "list:member:regular:footer": "http://example.com/footer.txt" })).status, 204);
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/uris/list:member:regular:footer")).body.uri, "http://example.com/footer.txt");
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/held/count")).body.count, 0);
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/held/99")).status, 404);
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/requests/count")).body.count, 1);
    const reqs = await call("GET", "/3.1/lists/ant.example.com/requests");
    assert.equal(reqs.body.entries[0].email, "bart@example.com");
  });

  await t.test("deep roster pages (from remembered positions) hold the same members as a plain walk", async () => {
    await call("POST", "/3.1/lists", { fqdn_listname: "big@example.com" });
    const members = Array.from({ length: 700 }, (_, i) => ({ address: `b${String(i).padStart(3, "0")}@example.org` }));
    assert.equal((await request({ method: "POST", url: "/lists/big.example.com/members/bulk", payload: { members } })).statusCode, 200);
    await call("DELETE", "/3.1/lists/big.example.com/member/b010@example.org");
    const all = (await call("GET", "/3.1/lists/big.example.com/roster/member")).body.entries.map((e: { email: string }) => e.email);
    assert.equal(all.length, 699);
    for (const [count, page] of [[100, 4], [60, 9], [7, 95], [250, 2], [250, 3]] as const) {
      const r = await call("GET", `/3.1/lists/big.example.com/roster/member?count=${count}&page=${page}`);
      assert.deepEqual(r.body.entries.map((e: { email: string }) => e.email), all.slice((page - 1) * count, page * count), `count=${count} page=${page}`);
      assert.equal(r.body.total_size, 699);
    }
  });

  await t.test("delete list and domain", async () => {
    assert.equal((await call("DELETE", "/3.1/lists/ant.example.com")).status, 204);
    assert.equal((await call("DELETE", "/3.1/domains/example.com")).status, 204);
    assert.equal((await call("GET", "/3.1/domains/example.com")).status, 404);
  });
});
