// Content filtering and the suspicious-header/news-moderation settings are list
// settings both faces share: set through Mailman's /3.1 config (form-encoded, lists
// as repeated fields, as Postorius sends them), read through the native API, and back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "../../helpers/app.js";

test("content filtering settings: one value, two faces", async (t) => {
  const { request } = await build(t);
  const call = async (method: string, url: string, body?: unknown, form?: URLSearchParams) => {
    const r = await request({
      method: method as never, url,
      ...(form ? { payload: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded" } } : body ? { payload: body as object } : {}),
    });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null };
  };
  assert.equal((await call("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await call("POST", "/lists", { address: "ant@example.com" })).status, 201);

  await t.test("Mailman's defaults", async () => {
    const c = (await call("GET", "/3.1/lists/ant.example.com/config")).body;
    assert.deepEqual(
      [c.filter_content, c.filter_types, c.pass_types, c.filter_extensions, c.pass_extensions, c.filter_action, c.collapse_alternatives, c.convert_html_to_plaintext, c.newsgroup_moderation],
      [false, [], [], [], [], "discard", true, false, "none"],
    );
  });

  await t.test("set through /3.1, read natively", async () => {
    const form = new URLSearchParams([
      ["filter_content", "true"], ["filter_types", "image"], ["filter_types", "application/x-msdownload"],
      ["pass_extensions", "pdf"], ["pass_extensions", "txt"], ["filter_action", "forward"], ["convert_html_to_plaintext", "true"],
      ["newsgroup_moderation", "moderated"],
    ]);
    assert.equal((await call("PATCH", "/3.1/lists/ant.example.com/config", undefined, form)).status, 204);
    const l = (await call("GET", "/lists/ant.example.com")).body;
    assert.deepEqual(
      [l.filterContent, l.filterTypes, l.passExtensions, l.filterAction, l.convertHtmlToPlaintext, l.newsgroupModeration],
      [true, ["image", "application/x-msdownload"], ["pdf", "txt"], "forward", true, "moderated"],
    );
  });

  await t.test("set natively, read through /3.1", async () => {
    const p = await call("PATCH", "/lists/ant.example.com", { filterExtensions: ["EXE", ".bat"], passTypes: ["multipart", "text/plain"], filterAction: "reject" });
    assert.equal(p.status, 200);
    const c = (await call("GET", "/3.1/lists/ant.example.com/config")).body;
    assert.deepEqual([c.filter_extensions, c.pass_types, c.filter_action], [["exe", "bat"], ["multipart", "text/plain"], "reject"]);
    assert.equal((await call("GET", "/3.1/lists/ant.example.com/config/filter_action")).body.filter_action, "reject");
  });

  await t.test("bad values are 400 on both faces", async () => {
    assert.equal((await call("PATCH", "/3.1/lists/ant.example.com/config", { filter_action: "explode" })).status, 400);
    assert.equal((await call("PATCH", "/3.1/lists/ant.example.com/config", { newsgroup_moderation: "strict" })).status, 400);
    assert.equal((await call("PATCH", "/lists/ant.example.com", { filterTypes: ["not a type"] })).status, 400);
    assert.equal((await call("PATCH", "/lists/ant.example.com", { filterAction: "explode" })).status, 400);
  });

  await t.test("bounceMatchingHeaders: Mailman's lines, checked on input", async () => {
    const ok = await call("PATCH", "/lists/ant.example.com", { bounceMatchingHeaders: "# comment\nX-Spam-Flag: ^yes\n" });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.bounceMatchingHeaders, "# comment\nX-Spam-Flag: ^yes\n");
    const bad = await call("PATCH", "/lists/ant.example.com", { bounceMatchingHeaders: "X-Spam-Flag: (" });
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail, /bounceMatchingHeaders: "X-Spam-Flag: \("/);
    assert.equal((await call("PATCH", "/lists/ant.example.com", { bounceMatchingHeaders: "no colon" })).status, 400);
  });
});
