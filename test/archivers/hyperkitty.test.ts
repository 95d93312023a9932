// The HyperKitty client and the site's list-URL cache against a real HTTP server
// (the stand-in of HyperKitty's archiver API): each outcome, and the key kept out of
// every outcome.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createHyperKitty } from "../../src/archivers/hyperkitty.js";
import { createArchiveSite } from "../../src/archivers/site.js";
import { startHyperKittyStandIn, type HyperKittyStandIn } from "../helpers/hyperkitty-standin.js";

const RAW = Buffer.from("From: a@example.com\r\nMessage-ID: <m1@example.com>\r\nSubject: hi\r\n\r\nHello.\r\n");
let hk: HyperKittyStandIn;
before(async () => { hk = await startHyperKittyStandIn(); });
after(async () => { await hk.close(); });

describe("HyperKitty client", () => {
  it("archives with the key and the plugin's fields, and gets the post's URL", async () => {
    const c = createHyperKitty({ url: hk.url, apiKey: hk.key });
    assert.deepEqual(await c.archive("test@example.com", RAW), { outcome: "archived", url: hk.urlFor("test@example.com", "<m1@example.com>") });
    const got = hk.posts.at(-1)!;
    assert.deepEqual([got.mlist, got.filename, got.authorization, got.raw.equals(RAW)], ["test@example.com", "message.txt", `Token ${hk.key}`, true]);
    assert.equal(await c.url("test@example.com"), hk.urlFor("test@example.com"));
    assert.equal(await c.url("test@example.com", "<m1@example.com>"), hk.urlFor("test@example.com", "<m1@example.com>"));
  });
  it("a wrong key is 'unavailable' (an operator fixes it; the job waits) and the key is in no outcome", async () => {
    const secret = "wrong-key-that-must-not-leak";
    const c = createHyperKitty({ url: hk.url, apiKey: secret });
    const r = await c.archive("test@example.com", RAW);
    assert.equal(r.outcome, "unavailable");
    assert.match((r as { detail: string }).detail, /^HTTP 401/);
    assert.doesNotMatch(JSON.stringify(r), new RegExp(secret));
    assert.equal(await c.url("test@example.com"), null);
  });
  it("down, hanging, 5xx, 400 and non-JSON 200 are 'unavailable'; 413 is 'refused'", async () => {
    const replies: [number, string, number][] = [[500, "boom", 0], [200, "<html>proxy</html>", 0], [400, "Bad Request (400)", 0], [413, "Request Entity Too Large", 0], [200, "{}", 5000]];
    let i = 0;
    const server = createServer((req, res) => {
      const [status, body, wait] = replies[i++]!;
      req.resume();
      setTimeout(() => { res.writeHead(status); res.end(body); }, wait);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const c = createHyperKitty({ url, apiKey: "k", timeoutMs: 500 });
    try {
      assert.deepEqual(await c.archive("l@x", RAW), { outcome: "unavailable", detail: "HTTP 500: boom" });
      assert.equal((await c.archive("l@x", RAW)).outcome, "unavailable");
      // Django's 400 for a Host outside ALLOWED_HOSTS: fixed by the operator, so the post waits.
      assert.deepEqual(await c.archive("l@x", RAW), { outcome: "unavailable", detail: "HTTP 400: Bad Request (400)" });
      assert.deepEqual(await c.archive("l@x", RAW), { outcome: "refused", status: 413, detail: "Request Entity Too Large" });
      assert.deepEqual(await c.archive("l@x", RAW), { outcome: "unavailable", detail: "timed out" });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    // A port nobody listens on (the one the server just gave up).
    const gone = createHyperKitty({ url, apiKey: "k" });
    // ECONNREFUSED, or EPIPE/ECONNRESET on a kept-alive connection the server dropped: all "unavailable".
    const r = await gone.archive("l@x", RAW);
    assert.equal(r.outcome, "unavailable");
    assert.match((r as { detail: string }).detail, /ECONNREFUSED|EPIPE|ECONNRESET|closed/);
  });
});

describe("archive site", () => {
  const list = { listId: "test.example.com", listName: "test", mailHost: "example.com", archivePolicy: "public" as const, archivers: {}, includeRfc2369Headers: true };
  it("asks HyperKitty for the list URL once, keeps it through an outage, and gives no HyperKitty link before it knows one", async () => {
    const config = { hyperkitty: { url: hk.url, apiKey: hk.key }, mailArchive: null, retryMaxSeconds: 1 };
    let asked = 0;
    const client = createHyperKitty(config.hyperkitty);
    const counting = { ...client, url: (m: string, id?: string) => { asked++; return client.url(m, id); } };
    const site = createArchiveSite({ config, publicUrl: null, hyperkitty: counting, keepMs: 0, retryMs: 60_000 });
    await hk.down();
    const first = await site.forPost(list, "H1");
    assert.deepEqual(first.archivers, ["hyperkitty", "prototype"]);
    assert.deepEqual(first.links.map((l) => l.permalink), [null, null]);
    await hk.up();
    assert.equal((await site.forPost(list, "H2")).links[0]!.permalink, null, "an unanswered lookup is not repeated within retryMs");
    assert.equal(asked, 1);
    const fresh = createArchiveSite({ config, publicUrl: null, hyperkitty: counting, retryMs: 0 });
    assert.equal((await fresh.forPost(list, "H3")).links[0]!.permalink, `${hk.urlFor("test@example.com")}message/H3/`);
    await hk.down();
    assert.equal((await fresh.forPost(list, "H4")).links[0]!.listUrl, hk.urlFor("test@example.com"), "kept while HyperKitty is away");
    await hk.up();
    assert.deepEqual((await fresh.forPost({ ...list, includeRfc2369Headers: false }, "H5")).links, []);
    assert.deepEqual(await fresh.forPost({ ...list, archivePolicy: "never" }, "H6"), { archivers: [], links: [] });
  });
});
