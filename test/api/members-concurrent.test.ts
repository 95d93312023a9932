// Concurrent adds of one address: a single add is one statement that upserts the
// Address and its User and inserts the Member (services/member-add.ts); bulk adds and
// subscriptions go through address-book.ts. Races between adds must leave one Address,
// one User, one Member per (list, role) and answer 201 once and 409 (never 500) for the rest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";

const N = 20;

test("concurrent adds of one address", async (t) => {
  const { call, testDb } = await build(t);
  const { prisma } = testDb.db;
  assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).status, 201);
  for (let i = 0; i < N; i++) assert.equal((await call("POST", "/lists", { address: `l${i}@example.com` })).status, 201);
  const addressRows = (key: string) => prisma.address.findMany({ where: { email: key } });

  await t.test(`the same new address to ${N} lists at once: ${N} × 201, one Address, one User`, async () => {
    const rs = await Promise.all(Array.from({ length: N }, (_, i) =>
      call("POST", `/lists/l${i}.example.com/members`, { address: "Race@Example.com", displayName: "Race" })));
    assert.deepEqual(rs.map((r) => r.status), Array(N).fill(201), JSON.stringify(rs.find((r) => r.status !== 201)?.body));
    const rows = await addressRows("race@example.com");
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]!.userId, null);
    assert.notEqual(rows[0]!.verifiedOn, null);
    assert.equal(await prisma.user.count(), 1);
    const members = await prisma.member.findMany({ where: { addressKey: "race@example.com" } });
    assert.equal(members.length, N);
    assert.ok(members.every((m) => m.addressId === rows[0]!.id && m.address === "Race@example.com"));
    for (const r of rs) assert.equal(r.body.displayName, "Race");
    const counts = await prisma.mailingList.findMany({ select: { memberCount: true } });
    assert.ok(counts.every((c) => c.memberCount === 1));
  });

  await t.test(`the same new address to one list ${N} times at once: one 201, ${N - 1} × 409`, async () => {
    const rs = await Promise.all(Array.from({ length: N }, () =>
      call("POST", "/lists/l0.example.com/members", { address: "twin@example.com" })));
    const statuses = rs.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, ...Array(N - 1).fill(409)]);
    for (const r of rs.filter((x) => x.status === 409)) {
      assert.equal(r.body.type, "urn:mailroom:problem:conflict");
      assert.equal(r.body.detail, "twin@example.com is already a member of l0.example.com");
    }
    assert.equal((await addressRows("twin@example.com")).length, 1);
    assert.equal(await prisma.user.count(), 2);
    assert.equal(await prisma.member.count({ where: { addressKey: "twin@example.com" } }), 1);
    assert.equal((await prisma.mailingList.findUniqueOrThrow({ where: { listId: "l0.example.com" } })).memberCount, 2);
  });

  await t.test(`/3.1/members, one owner ${N} times at once: one 201, ${N - 1} × 409`, async () => {
    const rs = await Promise.all(Array.from({ length: N }, () =>
      call("POST", "/3.1/members", { list_id: "l1.example.com", subscriber: "boss@example.com", role: "owner" })));
    assert.deepEqual(rs.map((r) => r.status).sort(), [201, ...Array(N - 1).fill(409)]);
    assert.equal((await addressRows("boss@example.com")).length, 1);
    assert.equal(await prisma.user.count(), 3);
    assert.equal(await prisma.member.count({ where: { addressKey: "boss@example.com" } }), 1);
  });

  await t.test(`bulk adds of the same 50 new addresses to ${N} lists at once: one Address and one User each`, async () => {
    const members = Array.from({ length: 50 }, (_, i) => ({ address: `bulk${i}@example.org` }));
    const rs = await Promise.all(Array.from({ length: N }, (_, i) => call("POST", `/lists/l${i}.example.com/members/bulk`, { members })));
    assert.ok(rs.every((r) => r.status === 200 && r.body.created === 50), JSON.stringify(rs.find((r) => r.status !== 200)?.body));
    const rows = await prisma.address.findMany({ where: { email: { startsWith: "bulk" } } });
    assert.equal(rows.length, 50);
    assert.equal(new Set(rows.map((r) => r.userId)).size, 50);
    assert.equal(await prisma.user.count(), 3 + 50);
  });

  await t.test(`/3.1/members pre-approved subscriptions of one new address to ${N} lists at once: one User`, async () => {
    const rs = await Promise.all(Array.from({ length: N }, (_, i) => call("POST", "/3.1/members",
      { list_id: `l${i}.example.com`, subscriber: "sub@example.com", pre_verified: true, pre_confirmed: true, pre_approved: true })));
    assert.deepEqual(rs.map((r) => r.status), Array(N).fill(201), JSON.stringify(rs.find((r) => r.status !== 201)?.body));
    assert.equal((await addressRows("sub@example.com")).length, 1);
    assert.equal(await prisma.user.count(), 3 + 50 + 1);
  });
});
