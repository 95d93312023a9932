// The Exim and Sendmail file texts (src/mta/map-text.ts hosts, src/mta/sendmail-text.ts):
// what each line says, sorted and grouped, and odd names left out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildMaps, listAddresses, type ListRow } from "../../src/mta/map-text.js";
import { buildSendmailMaps, UNKNOWN_LIST_REPLY } from "../../src/mta/sendmail-text.js";

const row = (listName: string, mailHost: string, aliasDomain: string | null = null): ListRow => ({ listName, mailHost, aliasDomain });
const HEAD = { map: "# map\n", cls: "# class\n" };
const body = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#"));

test("exim_domains: every domain mail for a list arrives at, mail hosts and alias domains, sorted", () => {
  const m = buildMaps([row("team", "aliased.example", "lists.invalid"), row("ant", "example.com")], "127.0.0.1", 8024, "# h\n");
  assert.deepEqual(body(m.hosts.text), ["aliased.example aliased.example", "example.com example.com", "lists.invalid aliased.example"]);
  assert.deepEqual([...m.hosts.groups].sort(), ["aliased.example aliased.example", "example.com example.com", "lists.invalid aliased.example"]);
  assert.deepEqual(m.hosts.linesOf("lists.invalid aliased.example"), [["lists.invalid", "aliased.example"]]);
  assert.ok(m.lmtp.text.startsWith("# h\n"), "the header is the layout's");
});

test("sendmail_access: OK for every list address, the domain's refusal after; mailertable and relay domains one line per domain", () => {
  const m = buildSendmailMaps([row("bee", "example.com"), row("ant", "example.com"), row("x", "b.example")], "127.0.0.1", HEAD);
  assert.deepEqual(body(m.access.text), [
    `To:b.example ${UNKNOWN_LIST_REPLY}`,
    ...listAddresses("x", "b.example").map((a) => `To:${a} OK`),
    `To:example.com ${UNKNOWN_LIST_REPLY}`,
    ...listAddresses("ant", "example.com").map((a) => `To:${a} OK`),
    ...listAddresses("bee", "example.com").map((a) => `To:${a} OK`),
  ]);
  assert.equal(UNKNOWN_LIST_REPLY, "ERROR:5.1.1:550 unknown list address");
  assert.ok(m.access.text.startsWith("# map\n"));
  assert.deepEqual(body(m.mailertable.text), ["b.example lmtp:[127.0.0.1]", "example.com lmtp:[127.0.0.1]"]);
  assert.equal(m.relayDomains.text, "# class\nb.example\nexample.com\n");
  // Group ids give back their lines (used to compare versions).
  assert.deepEqual(m.access.linesOf("@example.com"), [["To:example.com", UNKNOWN_LIST_REPLY]]);
  assert.equal(m.access.linesOf("ant@example.com").length, 9);
});

test("sendmail: an alias domain plays no part (x@mailHost is delivered as it is); unusable names are left out", () => {
  const m = buildSendmailMaps([row("team", "aliased.example", "lists.invalid"), row("bad name", "example.com")], "h", HEAD);
  assert.ok(!m.access.text.includes("lists.invalid"));
  assert.ok(m.access.text.includes("To:team@aliased.example OK"));
  assert.deepEqual(m.skipped, [row("bad name", "example.com")]);
  assert.deepEqual(body(m.relayDomains.text), ["aliased.example"]);
});
