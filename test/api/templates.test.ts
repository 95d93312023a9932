// /templates, /domains/{domain}/templates and /lists/{list}/templates over inject:
// text and URI overrides per language, what a notice would use, the checks on input;
// Mailman's uris see the every-language URI overrides; deleting a list or domain
// takes its overrides along.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../helpers/app.js";

const W = "list:user:notice:welcome";

test("templates API", async (t) => {
  const { call } = await build(t);
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

  await t.test("deleting a list or domain takes its overrides along", async () => {
    assert.equal((await call("DELETE", "/lists/team.example.com")).status, 204);
    assert.equal((await call("POST", "/lists", { address: "team@example.com" })).status, 201);
    assert.equal((await call("GET", "/lists/team.example.com/templates")).body.total, 0);
    assert.equal((await call("DELETE", "/domains/example.com")).status, 204);
    assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).status, 201);
    assert.equal((await call("GET", "/domains/example.com/templates")).body.total, 0);
  });
});
