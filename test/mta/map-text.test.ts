// Map text generation (src/mta/map-text.ts): Mailman's format, order, odd names, alias domains.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildMaps, HEADER, listAddresses, type ListRow } from "../../src/mta/map-text.js";

const row = (listName: string, mailHost: string, aliasDomain: string | null = null): ListRow => ({ listName, mailHost, aliasDomain });

function entries(text: string): string[][] {
  return text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/));
}

test("postfix_lmtp: posting address and 8 sub-addresses per list, grouped per domain, blank line after each list", () => {
  const maps = buildMaps([row("ant", "example.com"), row("bee", "example.com")], "127.0.0.1", 8024);
  const t = "lmtp:[127.0.0.1]:8024";
  const expected =
    HEADER +
    "# Aliases which are visible only in the @example.com domain.\n" +
    listAddresses("ant", "example.com").map((a) => a.padEnd(38) + t + "\n").join("") + "\n" +
    listAddresses("bee", "example.com").map((a) => a.padEnd(38) + t + "\n").join("") + "\n";
  assert.equal(maps.lmtp.text, expected);
  assert.deepEqual(listAddresses("ant", "example.com"), [
    "ant@example.com", "ant-bounces@example.com", "ant-confirm@example.com", "ant-join@example.com",
    "ant-leave@example.com", "ant-owner@example.com", "ant-request@example.com", "ant-subscribe@example.com",
    "ant-unsubscribe@example.com",
  ]);
  assert.equal(maps.domains.text, HEADER + "example.com example.com\n\n");
  assert.equal(maps.vmap.text, HEADER);
});

test("empty database: every map is just the header", () => {
  const maps = buildMaps([], "h", 1);
  assert.equal(maps.lmtp.text, HEADER);
  assert.equal(maps.domains.text, HEADER + "\n");
  assert.equal(maps.vmap.text, HEADER);
});

test("odd list names are kept as they are; names that cannot be map keys are left out", () => {
  const rows = [
    row("123", "example.com"), row("a-request", "example.com"), row("a.b_c+d", "example.com"),
    row("café", "example.com"), row("bad name", "example.com"), row("#hash", "example.com"), row("tab\tx", "example.com"),
  ];
  const maps = buildMaps(rows, "127.0.0.1", 8024);
  const keys = entries(maps.lmtp.text).map((e) => e[0]);
  for (const name of ["123", "a-request", "a.b_c+d", "café"]) {
    assert.ok(keys.includes(`${name}@example.com`), name);
    assert.ok(keys.includes(`${name}-unsubscribe@example.com`), name);
  }
  assert.equal(keys.length, 4 * 9);
  assert.deepEqual(maps.skipped.map((r) => r.listName), ["bad name", "#hash", "tab\tx"]);
  for (const e of entries(maps.lmtp.text)) assert.equal(e.length, 2);
});

test("many domains: one postfix_domains line per domain that has lists, sorted", () => {
  const rows: ListRow[] = [];
  for (let d = 49; d >= 0; d--) for (const n of ["x", "y"]) rows.push(row(n, `d${String(d).padStart(2, "0")}.example`));
  rows.sort((a, b) => (a.mailHost < b.mailHost ? -1 : a.mailHost > b.mailHost ? 1 : a.listName < b.listName ? -1 : 1));
  const maps = buildMaps(rows, "10.0.0.1", 24);
  const lines = entries(maps.domains.text);
  assert.equal(lines.length, 50);
  assert.deepEqual(lines[0], ["d00.example", "d00.example"]);
  assert.deepEqual(lines[49], ["d49.example", "d49.example"]);
  assert.equal(entries(maps.lmtp.text).length, 100 * 9);
  assert.equal((maps.lmtp.text.match(/^# Aliases which are visible only in the @/gm) ?? []).length, 50);
});

test("alias domain: postfix_lmtp lists the aliasDomain addresses, postfix_vmap maps mailHost to them", () => {
  const rows = [row("ant", "lists.example.org", "ant.invalid"), row("zed", "plain.example")];
  const maps = buildMaps(rows, "127.0.0.1", 8024);
  const lmtp = entries(maps.lmtp.text).map((e) => e[0]);
  assert.ok(lmtp.includes("ant@ant.invalid"));
  assert.ok(lmtp.includes("ant-bounces@ant.invalid"));
  assert.ok(!lmtp.some((k) => k!.endsWith("@lists.example.org")));
  assert.deepEqual(entries(maps.domains.text), [["ant.invalid", "lists.example.org"], ["plain.example", "plain.example"]]);
  const vmap = entries(maps.vmap.text);
  assert.equal(vmap.length, 9);
  assert.deepEqual(vmap[0], ["ant@lists.example.org", "ant@ant.invalid"]);
  assert.deepEqual(vmap[8], ["ant-unsubscribe@lists.example.org", "ant-unsubscribe@ant.invalid"]);
  assert.match(maps.vmap.text, /^# Virtual mappings for the @lists\.example\.org domain\.$/m);
});

test("deterministic: same rows give the same text; group ids give back every line", () => {
  const rows = [row("a", "x.example"), row("b", "x.example", "alias.example"), row("c", "y.example")];
  const one = buildMaps(rows, "h", 1);
  const two = buildMaps(rows.map((r) => ({ ...r })), "h", 1);
  assert.equal(one.lmtp.text, two.lmtp.text);
  assert.equal(one.vmap.text, two.vmap.text);
  for (const key of ["lmtp", "domains", "vmap"] as const) {
    const fromIds = [...one[key].groups].flatMap((id) => one[key].linesOf(id).map(([k, v]) => `${k} ${v}`)).sort();
    assert.deepEqual(fromIds, entries(one[key].text).map((e) => e.join(" ")).sort(), key);
  }
});
