// The template lookup (src/services/template-loader.ts) on a real database: for each
// language (recipient's, list's, English) the list's override, the domain's, the
// site's, then the shipped file; text and URI overrides (http cached, file: confined
// to MAILROOM_TEMPLATE_DIR, mailman:///); and the recipient's language as notices
// resolve it (member, address, user).
import { after, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createTestDatabase } from "../helpers/db.js";
import { createLogger } from "../../src/log.js";
import { createTemplateLoader } from "../../src/services/template-loader.js";
import { createNoticeService, recipientLanguage } from "../../src/services/notices.js";
import { expand, languageChain } from "../../src/domain/template-text.js";
import { LIST, setUp } from "../subscriptions/helpers.js";

const t = await createTestDatabase();
const dir = mkdtempSync(join(tmpdir(), "mailroom-tpl-"));
after(async () => { await t.close(); rmSync(dir, { recursive: true, force: true }); });
beforeEach(() => t.reset());

const WELCOME = "list:user:notice:welcome" as const;
const log = createLogger("silent");

function loader(fetchImpl?: typeof fetch, clock = { now: 0 }) {
  return createTemplateLoader(
    { config: { templates: { dir, fetchTimeoutMs: 200, cacheSeconds: 60 } }, log },
    { ...(fetchImpl ? { fetch: fetchImpl } : {}), now: () => clock.now },
  );
}

async function world(listLanguage = "en") {
  const { services } = await setUp(t.db, { preferredLanguage: listLanguage });
  const l = await services.lists.get(LIST);
  const list = { listId: l.listId, listName: l.name, mailHost: l.domain, preferredLanguage: l.preferredLanguage };
  const put = (scope: "site" | "domain" | "list", text: string, language = "") =>
    services.templates.put(scope, scope === "site" ? "" : scope === "domain" ? l.domain : l.listId,
      { name: WELCOME, language, text, uri: "", username: "", password: "" });
  const putUri = (scope: "site" | "list", uri: string, username = "", password = "") =>
    services.templates.put(scope, scope === "site" ? "" : l.listId, { name: WELCOME, language: "", text: null, uri, username, password });
  return { services, list, put, putUri };
}

describe("expand and languageChain", () => {
  test("$name, ${name}, $$ and unknown names as Python's safe_substitute", () => {
    assert.equal(expand("$a ${b}c $$a $nope ${nope} $", { a: "1", b: "2" }), "1 2c $a $nope ${nope} $");
  });
  test("recipient, list, English; no repeats, no junk", () => {
    assert.deepEqual(languageChain("de", "fr"), ["de", "fr", "en"]);
    assert.deepEqual(languageChain(null, "en"), ["en"]);
    assert.deepEqual(languageChain("../x", undefined), ["en"]);
  });
});

describe("lookup order", () => {
  test("nothing overridden: the shipped file, in the recipient's language if there is one, else the list's, else English", async () => {
    const { list } = await world("de");
    const l = loader();
    const en = await l.load(t.db.prisma, WELCOME, { list: { ...list, preferredLanguage: "en" } });
    assert.deepEqual([en.source, en.language], ["builtin", "en"]);
    assert.match(en.text, /^Welcome to the \$display_name mailing list/);
    const de = await l.load(t.db.prisma, WELCOME, { list, language: "fr" });
    assert.deepEqual([de.source, de.language], ["builtin", "de"]);
    assert.match(de.text, /^Willkommen/);
    const probe = await l.load(t.db.prisma, "list:user:notice:probe", { list, language: "de" });
    assert.deepEqual([probe.source, probe.language], ["builtin", "en"], "no German probe: English");
  });

  test("list, then domain, then site, then the shipped file", async () => {
    const { services, list, put } = await world();
    const l = loader();
    await put("site", "site");
    await put("domain", "domain");
    await put("list", "list");
    const order: string[] = [];
    for (const scope of ["list", "domain", "site"] as const) {
      const got = await l.load(t.db.prisma, WELCOME, { list });
      order.push(`${got.source}:${got.text}`);
      await services.templates.drop(scope, scope === "site" ? "" : scope === "domain" ? list.mailHost : list.listId, WELCOME, "");
    }
    order.push((await l.load(t.db.prisma, WELCOME, { list })).source);
    assert.deepEqual(order, ["list:list", "domain:domain", "site:site", "builtin"]);
  });

  test("language comes before scope: a German recipient gets the shipped German file over the list's English-only override", async () => {
    const { list, put } = await world();
    await put("list", "English override", "en");
    await put("site", "Site auf Deutsch", "de");
    const l = loader();
    const de = await l.load(t.db.prisma, WELCOME, { list, language: "de" });
    assert.deepEqual([de.source, de.text], ["site", "Site auf Deutsch"]);
    const en = await l.load(t.db.prisma, WELCOME, { list });
    assert.deepEqual([en.source, en.text], ["list", "English override"]);
  });

  test("an override for every language (Mailman's uris) applies whatever the language, reported in the recipient's", async () => {
    const { list, put } = await world();
    await put("domain", "any language");
    const got = await loader().load(t.db.prisma, WELCOME, { list, language: "de" });
    assert.deepEqual([got.source, got.language, got.text], ["domain", "de", "any language"]);
  });

  test("the list's msgFooter wins over the footer template; otherwise the template (empty as shipped)", async () => {
    const { list, services } = await world();
    const l = loader();
    assert.deepEqual(await l.decoration(t.db.prisma, { ...list, msgHeader: "", msgFooter: "" }), { header: "", footer: "" });
    await services.templates.put("site", "", { name: "list:member:regular:footer", language: "", text: "-- $display_name", uri: "", username: "", password: "" });
    assert.deepEqual(await l.decoration(t.db.prisma, { ...list, msgHeader: "", msgFooter: "" }), { header: "", footer: "-- $display_name" });
    assert.deepEqual(await l.decoration(t.db.prisma, { ...list, msgHeader: "", msgFooter: "own" }), { header: "", footer: "own" });
  });
});

describe("URI overrides", () => {
  test("http(s): fetched with the credentials, cached, and a failure falls through to the next scope", async () => {
    const { list, putUri, put } = await world();
    const calls: { url: string; auth: string | null }[] = [];
    let answer: () => Response = () => new Response("from the web for $listname");
    const fake = (async (url: URL, init?: RequestInit) => {
      calls.push({ url: String(url), auth: new Headers(init?.headers).get("authorization") });
      return answer();
    }) as unknown as typeof fetch;
    const clock = { now: 0 };
    const l = loader(fake, clock);
    await putUri("list", "https://templates.example/$list_id/$language/welcome.txt", "u", "p");
    await put("site", "site text");
    assert.equal((await l.load(t.db.prisma, WELCOME, { list, language: "de" })).text, "from the web for $listname");
    await l.load(t.db.prisma, WELCOME, { list, language: "de" });
    assert.equal(calls.length, 1, "cached");
    assert.equal(calls[0]!.url, "https://templates.example/dev.lists.example.com/de/welcome.txt");
    assert.equal(calls[0]!.auth, `Basic ${Buffer.from("u:p").toString("base64")}`);
    clock.now = 61_000;
    answer = () => new Response("gone", { status: 404 });
    const got = await l.load(t.db.prisma, WELCOME, { list, language: "de" });
    // The German URI fails; the site's text for every language is next in German.
    assert.deepEqual([got.source, got.text], ["site", "site text"]);
    assert.deepEqual(calls.slice(1).map((c) => c.url.split("/")[4]), ["de"]);
  });

  test("a fetch that hangs times out and falls back", async () => {
    const { list, putUri } = await world();
    const hang = ((_u: URL, init?: RequestInit) => new Promise((_r, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
    })) as unknown as typeof fetch;
    await putUri("list", "http://slow.example/w.txt");
    const started = Date.now();
    const got = await loader(hang).load(t.db.prisma, WELCOME, { list });
    assert.equal(got.source, "builtin");
    assert.ok(Date.now() - started < 2000);
  });

  test("an answer over 1 MiB is refused and the lookup goes on", async () => {
    const { list, putUri } = await world();
    const big = (async () => new Response("x".repeat(2 << 20))) as unknown as typeof fetch;
    await putUri("list", "https://big.example/w.txt");
    assert.equal((await loader(big).load(t.db.prisma, WELCOME, { list })).source, "builtin");
  });

  test("file: only under MAILROOM_TEMPLATE_DIR; mailman:/// names a shipped template", async () => {
    const { list, putUri } = await world();
    mkdirSync(join(dir, "de"), { recursive: true });
    writeFileSync(join(dir, "de", "w.txt"), "aus einer Datei");
    await putUri("list", `${pathToFileURL(dir).href}/$language/w.txt`);
    assert.equal((await loader().load(t.db.prisma, WELCOME, { list, language: "de" })).text, "aus einer Datei");
    await putUri("list", "file:///etc/passwd");
    assert.equal((await loader().load(t.db.prisma, WELCOME, { list })).source, "builtin");
    await putUri("site", "mailman:///$listname/de/list:user:notice:goodbye.txt");
    await putUri("list", "mailman:///de/list:user:notice:welcome.txt");
    const got = await loader().load(t.db.prisma, WELCOME, { list });
    assert.deepEqual([got.source, got.text.split("\n")[0]], ["list", "Willkommen auf der Mailingliste $display_name, $user_name."]);
  });

  test("a stored URI that cannot be resolved is skipped, not thrown; the API refuses to store it", async () => {
    const { list, put, putUri } = await world();
    await put("site", "from the site");
    const bad = ["mailman:///%zz/list:user:notice:welcome.txt", "mailman:///$listname/%E0%A4%A/x.txt", `file://evilhost${dir}/x`,
      `file://${dir}/a%2Fb`, "gopher://x.example/w.txt", "not a uri"];
    for (const uri of bad) {
      await assert.rejects(putUri("list", uri), /template URI/, uri);
      // As a row stored before writes were checked.
      await t.db.prisma.template.upsert({
        where: { scope_scopeKey_name_language: { scope: "list", scopeKey: list.listId, name: WELCOME, language: "" } },
        create: { scope: "list", scopeKey: list.listId, name: WELCOME, uri }, update: { uri, text: null },
      });
      assert.deepEqual((await loader().load(t.db.prisma, WELCOME, { list })).text, "from the site", uri);
    }
  });

  test("file: a symlink in MAILROOM_TEMPLATE_DIR cannot lead out of it; one pointing inside is followed", async () => {
    const { list, putUri } = await world();
    const outside = mkdtempSync(join(tmpdir(), "mailroom-outside-"));
    after(() => rmSync(outside, { recursive: true, force: true }));
    writeFileSync(join(outside, "secret.txt"), "not a template");
    writeFileSync(join(dir, "real.txt"), "inside");
    symlinkSync(outside, join(dir, "out"));
    symlinkSync(join(outside, "secret.txt"), join(dir, "leak.txt"));
    symlinkSync(join(dir, "real.txt"), join(dir, "alias.txt"));
    for (const name of ["out/secret.txt", "leak.txt"]) {
      await putUri("list", `${pathToFileURL(dir).href}/${name}`);
      assert.equal((await loader().load(t.db.prisma, WELCOME, { list })).source, "builtin", name);
    }
    await putUri("list", `${pathToFileURL(dir).href}/alias.txt`);
    assert.equal((await loader().load(t.db.prisma, WELCOME, { list })).text, "inside");
  });
});

describe("notices", () => {
  test("the recipient's language: member, else address, else user; none set: null", async () => {
    const { services, list } = await world();
    await services.users.create({ email: "ann@example.org" } as never);
    await services.members.add(LIST, { address: "ann@example.org" });
    const listPk = (await t.db.prisma.mailingList.findFirstOrThrow()).id;
    const lang = () => recipientLanguage(t.db.prisma, listPk, "ann@example.org");
    assert.equal(await lang(), null);
    const user = await t.db.prisma.address.findUniqueOrThrow({ where: { email: "ann@example.org" }, select: { userId: true } });
    await t.db.prisma.user.update({ where: { id: user.userId! }, data: { preferredLanguage: "fr" } });
    assert.equal(await lang(), "fr");
    await t.db.prisma.address.update({ where: { email: "ann@example.org" }, data: { preferredLanguage: "de" } });
    assert.equal(await lang(), "de");
    await t.db.prisma.member.updateMany({ where: { addressKey: "ann@example.org" }, data: { preferredLanguage: "it" } });
    assert.equal(await lang(), "it");
    assert.equal(await recipientLanguage(t.db.prisma, listPk, "nobody@example.org"), null);
    void list;
  });

  test("subject and text rendered with the list's placeholders and the extras, subject in the template's language", async () => {
    const { list } = await world();
    const notices = createNoticeService(loader(), { siteOwner: "root@example.com" });
    const n = { ...list, displayName: "Dev", description: "" };
    const de = await notices.render(t.db.prisma, { list: n, to: ["x@example.org"], template: WELCOME, language: "de", vars: { user_name: "Xa", user_email: "x@example.org" } });
    assert.equal(de.subject, 'Willkommen auf der Mailingliste "Dev"');
    assert.match(de.text, /^Willkommen auf der Mailingliste Dev, Xa\./);
    assert.match(de.text, /dev-leave@lists\.example\.com/);
    const probe = await notices.render(t.db.prisma, { list: n, to: ["x@example.org"], template: "list:user:notice:probe", language: "de", vars: { sender_email: "x@example.org" } });
    assert.equal(probe.language, "en");
    assert.equal(probe.subject, "Dev mailing list probe message");
  });
});
