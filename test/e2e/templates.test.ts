// End to end for notice templates (issue 15): a real `mailroom serve` child, mail in
// over LMTP, REST over HTTP, what it sends caught by an smtp-server sink. The owner
// overrides the welcome template for German over the native API and for every
// language through Mailman's /3.1 uris (a file: URI); a member whose address prefers
// German gets the German override, another the file; the owner hears of both
// subscriptions (adminNotifyMchanges); a site-wide footer decorates a post, a
// list's footer template each personalised copy; a hidden list is not in the public index.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { simpleParser } from "mailparser";
import { receivedBy, startE2eStack, subjectOf, type E2eStack } from "../helpers/e2e-stack.js";

let stack: E2eStack;
const dir = mkdtempSync(join(tmpdir(), "mailroom-templates-"));
const api = (method: string, path: string, body?: unknown) => stack.api(method, path, body);
const join_ = (name: string, address: string) => stack.lmtp(address, "intl-join@example.com",
  [`From: ${name} <${address}>`, "To: intl-join@example.com", "Subject: join", `Message-ID: <${Math.random().toString(36).slice(2)}@test>`, "", "", ""].join("\n"));

const received = (rcpt: string, subject: RegExp, ms = 60_000) => receivedBy(stack.sink, rcpt, subject, ms);

before(async () => {
  mkdirSync(join(dir, "en"));
  writeFileSync(join(dir, "en", "welcome.txt"), "Hello $user_name, this is $display_name ($listname), in $language.\n");
  stack = await startE2eStack({ env: { MAILROOM_TEMPLATE_DIR: dir }, timeoutMs: 120_000 });
  assert.equal((await api("POST", "/domains", { mailHost: "example.com" })).status, 201);
  assert.equal((await api("POST", "/lists", { address: "intl@example.com", subscriptionPolicy: "open", adminNotifyMchanges: true })).status, 201);
  assert.equal((await api("POST", "/lists", { address: "hidden@example.com", advertised: false })).status, 201);
  assert.equal((await api("POST", "/lists/intl.example.com/members", { address: "owner@example.com", role: "owner" })).status, 201);
});

after(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("notice templates end to end", () => {
  it("the owner overrides the welcome; each member gets it in their own language", async () => {
    const de = await api("PUT", "/lists/intl.example.com/templates/list:user:notice:welcome", {
      language: "de", text: "Hallo $user_name, willkommen bei $display_name!\nAbmelden: ${short_listname}-leave@${domain}\n",
    });
    assert.equal(de.status, 200, JSON.stringify(de.body));
    // Mailman's face: a URI for every language, $language expanded by the loader.
    const uris = await stack.api("PATCH", "/3.1/lists/intl.example.com/uris",
      { "list:user:notice:welcome": `${pathToFileURL(dir).href}/$language/welcome.txt` });
    assert.equal(uris.status, 204, JSON.stringify(uris.body));

    assert.equal((await api("POST", "/users", { email: "jan@example.org", displayName: "Jan" })).status, 201);
    assert.equal((await api("PATCH", "/addresses/jan@example.org/preferences", { preferredLanguage: "de" })).status, 200);
    await join_("Jan", "jan@example.org");
    const german = await received("jan@example.org", /Willkommen auf der Mailingliste "Intl"/);
    const g = await simpleParser(german.raw);
    assert.equal(g.text!.trim(), "Hallo Jan, willkommen bei Intl!\nAbmelden: intl-leave@example.com");
    assert.equal(g.headers.get("content-language"), "de");

    await join_("Kim", "kim@example.org");
    const english = await received("kim@example.org", /Welcome to the "Intl" mailing list/);
    assert.equal((await simpleParser(english.raw)).text!.trim(), "Hello Kim, this is Intl (intl@example.com), in en.");

    // adminNotifyMchanges: the owner hears of both, in the list's language.
    const notices = await Promise.all(["jan", "kim"].map(async (who) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        for (const m of stack.sink.messages.filter((x) => x.rcptTo.includes("owner@example.com") && /Intl subscription notification/.test(subjectOf(x)))) {
          if ((await simpleParser(m.raw)).text!.includes(`${who}@example.org`)) return m;
        }
        if (Date.now() > deadline) throw new Error(`no subscription notice for ${who}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }));
    assert.equal(notices.length, 2);
  });

  it("a site-wide footer set through the API decorates posts, with the list's placeholders", async () => {
    const put = await api("PUT", "/templates/list:member:regular:footer", { text: "-- \n$display_name: $listname" });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await stack.lmtp("kim@example.org", "intl@example.com",
      ["From: Kim <kim@example.org>", "To: intl@example.com", "Subject: hello all", "Message-ID: <post-1@test>", "", "Body text.", ""].join("\n"));
    const copy = await received("jan@example.org", /hello all/);
    assert.equal((await simpleParser(copy.raw)).text!.trim(), "Body text.\n-- \nIntl: intl@example.com");
  });

  it("a personalised list's footer template is filled per member by delivery", async () => {
    assert.equal((await api("POST", "/lists", { address: "pers@example.com", personalize: "individual", subscriptionPolicy: "open" })).status, 201);
    for (const a of ["pat@example.org", "quinn@example.org"]) {
      assert.equal((await api("POST", "/lists/pers.example.com/members", { address: a })).status, 201);
    }
    const put = await api("PUT", "/lists/pers.example.com/templates/list:member:regular:footer", { text: "-- \nSent to $user_address by $display_name" });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await stack.lmtp("pat@example.org", "pers@example.com",
      ["From: pat@example.org", "To: pers@example.com", "Subject: personal", "Message-ID: <post-2@test>", "", "Hi.", ""].join("\n"));
    for (const a of ["pat@example.org", "quinn@example.org"]) {
      const copy = await received(a, /personal/);
      assert.equal((await simpleParser(copy.raw)).text!.trim(), `Hi.\n-- \nSent to ${a} by Pers`);
    }
  });

  it("GET …/templates/{name} shows what a notice is built from, by language", async () => {
    const de = await api("GET", "/lists/intl.example.com/templates/list:user:notice:welcome?language=de");
    assert.deepEqual([de.body.source, de.body.language], ["list", "de"]);
    const fr = await api("GET", "/lists/intl.example.com/templates/list:user:notice:goodbye?language=fr");
    assert.deepEqual([fr.body.source, fr.body.language], ["builtin", "en"]);
    assert.equal((await api("GET", "/lists/intl.example.com/templates/domain:admin:notice:new-list")).status, 404);
  });

  it("a list that is not advertised is left out of the public index, native and Mailman's", async () => {
    const native = await api("GET", "/lists?advertised=true");
    assert.deepEqual(native.body.items.map((l: { listId: string }) => l.listId), ["intl.example.com", "pers.example.com"]);
    assert.equal((await api("GET", "/lists")).body.total, 3);
    const mm = await stack.api("GET", "/3.1/domains/example.com/lists?advertised=true");
    assert.deepEqual(mm.body.entries.map((l: { list_id: string }) => l.list_id), ["intl.example.com", "pers.example.com"]);
  });
});
