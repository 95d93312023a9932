// The pure archiver rules: what the site offers, a list's switches, the header URLs
// each archiver gives a post (Mailman's list_url/permalink), thread parents.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { activeArchivers, archiveLink, archiverSwitches, offeredArchivers, parentCandidates, posterOptedOut } from "../../src/domain/archivers.js";

const list = { listId: "test.example.com", postingAddress: "test@example.com", archivePolicy: "public" as const };
const inputs = { list, messageIdHash: "HASH", hyperkittyListUrl: "https://h.example/hyperkitty/list/test@example.com/", mailArchiveUrl: "https://www.mail-archive.com/", publicUrl: "https://lists.example" };

describe("archivers", () => {
  it("the built-in archive is always offered; the others only with their settings", () => {
    assert.deepEqual(offeredArchivers({ hyperkitty: null, mailArchive: null }), ["prototype"]);
    assert.deepEqual(offeredArchivers({ hyperkitty: {}, mailArchive: {} }), ["hyperkitty", "mail-archive", "prototype"]);
  });
  it("a list's switches: on unless switched off; names the site does not offer are not shown", () => {
    assert.deepEqual(archiverSwitches(["hyperkitty", "prototype"], { hyperkitty: false, "mail-archive": true, junk: 1 }), { hyperkitty: false, prototype: true });
    assert.deepEqual(activeArchivers(["hyperkitty", "prototype"], { archivePolicy: "private", archivers: { prototype: false } }), ["hyperkitty"]);
    assert.deepEqual(activeArchivers(["hyperkitty", "prototype"], { archivePolicy: "never", archivers: {} }), []);
  });
  it("header URLs as Mailman's archivers give them", () => {
    assert.deepEqual(archiveLink("hyperkitty", inputs), {
      archiver: "hyperkitty", listUrl: inputs.hyperkittyListUrl, permalink: "https://h.example/hyperkitty/list/test@example.com/message/HASH/",
    });
    assert.deepEqual(archiveLink("hyperkitty", { ...inputs, hyperkittyListUrl: null }), { archiver: "hyperkitty", listUrl: null, permalink: null });
    assert.deepEqual(archiveLink("mail-archive", inputs), { archiver: "mail-archive", listUrl: "https://www.mail-archive.com/test%40example.com", permalink: "https://www.mail-archive.com/HASH" });
    assert.deepEqual(archiveLink("mail-archive", { ...inputs, list: { ...list, archivePolicy: "private" } }), { archiver: "mail-archive", listUrl: null, permalink: null });
    assert.deepEqual(archiveLink("prototype", inputs), {
      archiver: "prototype", listUrl: "https://lists.example/lists/test.example.com/archive", permalink: "https://lists.example/lists/test.example.com/archive/messages/HASH",
    });
    assert.deepEqual(archiveLink("prototype", { ...inputs, publicUrl: null }), { archiver: "prototype", listUrl: null, permalink: null });
  });
  it("thread parents: In-Reply-To first, then References from the nearest", () => {
    assert.deepEqual(parentCandidates("<b@x> (comment)", "<a@x> <b@x>\r\n <c@x>"), ["<b@x>", "<c@x>", "<a@x>"]);
    assert.deepEqual(parentCandidates(undefined, undefined), []);
  });
  it("the poster's opt-out headers", () => {
    const h = (m: Record<string, string>) => (n: string) => m[n];
    assert.equal(posterOptedOut(h({ "X-No-Archive": " Yes " })), true);
    assert.equal(posterOptedOut(h({ "X-Archive": "no" })), true);
    // Mailman: the header's presence is enough, whatever it says; X-Archive must say exactly no.
    assert.equal(posterOptedOut(h({ "X-No-Archive": "no" })), true);
    assert.equal(posterOptedOut(h({ "X-Archive": "unknown" })), false);
  });
});
