// /templates, /domains/{domain}/templates and /lists/{list}/templates over inject:
// text and URI overrides per language, what a notice would use, the checks on input;
// Mailman's uris see the every-language URI overrides; deleting a list or domain
// takes its overrides along.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";

const W = "list:user:notice:welcome";

test("templates API", async (t) => {
  const built = await build(t);
  const { call } = built;
  assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await call("POST", "/lists", { address: "team@example.com", preferredLanguage: "de" })).status, 201);

  await t.test("shipped templates by language; the list's language when none is asked for", async () => {
    const r = await call("GET", `/lists/team.example.com/templates/${W}`);
    assert.deepEqual([r.status, r.body.source, r.body.language], [200, "builtin", "de"]);
    const en = await call("GET", `/templates/${W}?language=en`);
    assert.deepEqual([en.body.source, en.body.language], ["builtin", "en"]);
  });

  await t.test("overrides per scope and language, listed without passwords", async () => {
    const put = await call("PUT", `/domains/example.com/templates/${W}`, { uri: "https://t.example/$language/w.txt", username: "u", password: "p" });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, { name: W, language: "", text: null, uri: "https://t.example/$language/w.txt", username: "u" });
    assert.equal((await call("PUT", `/lists/team.example.com/templates/${W}`, { language: "de", text: "Hallo!" })).status, 200);
    const r = await call("GET", `/lists/team.example.com/templates/${W}`);
    assert.deepEqual([r.body.source, r.body.text], ["list", "Hallo!"]);
    assert.deepEqual((await call("GET", "/domains/example.com/templates")).body.items.map((o: { name: string }) => o.name), [W]);
    const mm = await call("GET", "/3.1/domains/example.com/uris");
    assert.deepEqual(mm.body.entries.map((e: { name: string; uri: string }) => [e.name, e.uri]), [[W, "https://t.example/$language/w.txt"]]);
    assert.equal((await call("GET", "/3.1/lists/team.example.com/uris")).body.total_size, 0, "text overrides are not URIs");
  });

  await t.test("bad input: both or neither of text and uri, a half credential, a foreign name, an unknown scheme", async () => {
    assert.equal((await call("PUT", `/templates/${W}`, { text: "a", uri: "https://x.example/" })).status, 400);
    assert.equal((await call("PUT", `/templates/${W}`, {})).status, 400);
    assert.equal((await call("PUT", `/templates/${W}`, { uri: "https://x.example/", username: "u" })).status, 400);
    assert.equal((await call("PUT", `/templates/${W}`, { uri: "ftp://x.example/" })).status, 400);
    assert.equal((await call("PUT", "/templates/list:user:notice:nope", { text: "a" })).status, 400);
    assert.equal((await call("PUT", "/lists/team.example.com/templates/domain:admin:notice:new-list", { text: "a" })).status, 404);
    assert.equal((await call("PUT", `/templates/${W}`, { text: "a", language: "../x" })).status, 400);
    assert.equal((await call("DELETE", `/templates/${W}?language=de`)).status, 404);
  });

  await t.test("a URI no lookup could resolve is refused when written, in both APIs", async () => {
    for (const uri of ["file://evil/x", "file:///srv/a%2Fb", "mailman:///%zz/welcome.txt"]) {
      const r = await call("PUT", `/lists/team.example.com/templates/${W}`, { uri });
      assert.equal(r.status, 400, uri);
      assert.match(JSON.stringify(r.body), /template URI/, uri);
      const mm = await call("PATCH", "/3.1/lists/team.example.com/uris", { [W]: uri });
      assert.equal(mm.status, 400, uri);
    }
    assert.equal((await call("PUT", "/3.1/uris", { [W]: "gopher://x.example/" })).status, 400);
    assert.equal((await call("PATCH", "/3.1/uris", { [W]: "https://user:secret@x.example/$language/$listname" })).status, 204);
    assert.equal((await call("PATCH", "/3.1/uris", { [W]: "" })).status, 204);
    assert.equal((await call("GET", "/3.1/lists/team.example.com/uris")).body.total_size, 0);
  });

  await t.test("an unresolvable URI already stored is skipped: the lookup, a subscription and a post go on", async () => {
    const { testDb } = built;
    for (const name of [W, "list:member:regular:footer"]) {
      await testDb.db.prisma.template.create({ data: { scope: "list", scopeKey: "team.example.com", name, uri: "file://evil/x" } });
      await testDb.db.prisma.template.create({ data: { scope: "site", scopeKey: "", name, uri: "mailman:///%zz/x.txt" } });
    }
    await testDb.db.prisma.template.create({ data: { scope: "domain", scopeKey: "example.com", name: "list:member:regular:footer", uri: "", text: "domain footer" } });
    const r = await call("GET", `/lists/team.example.com/templates/${W}?language=en`);
    assert.deepEqual([r.status, r.body.source], [200, "builtin"]);
    const s = await call("POST", "/3.1/members", { list_id: "team.example.com", subscriber: "anne@example.org", pre_verified: true, pre_confirmed: true, pre_approved: true });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const list = await built.services.lists.get("team.example.com");
    const d = await built.services.templateLoader.decoration(testDb.db.prisma,
      { listId: list.listId, listName: list.name, mailHost: list.domain, preferredLanguage: "en", msgHeader: "", msgFooter: "" });
    assert.deepEqual(d, { header: "", footer: "domain footer" }, "the next candidate's footer");
    await testDb.db.prisma.template.deleteMany({});
  });

  await t.test("deleting a list or domain takes its overrides along", async () => {
    assert.equal((await call("DELETE", "/lists/team.example.com")).status, 204);
    assert.equal((await call("POST", "/lists", { address: "team@example.com" })).status, 201);
    assert.equal((await call("GET", "/lists/team.example.com/templates")).body.total, 0);
    assert.equal((await call("DELETE", "/domains/example.com")).status, 204);
    assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).status, 201);
    assert.equal((await call("GET", "/domains/example.com/templates")).body.total, 0);
  });
});
