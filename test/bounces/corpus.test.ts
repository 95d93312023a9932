// Mailroom's bounce parser against Mailman 3's own library on a corpus of real
// bounces: flufl.bounce's test messages (fixtures/bounces/flufl/) and bounces the
// real Postfix wrote (fixtures/bounces/mta/). expected.json holds what flufl.bounce
// found in each (scripts/bounce-expected.py); every address it finds must be found
// here with the same class. Prints the table per format and the share:
//   node --import tsx --test test/bounces/corpus.test.ts
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseBounce } from "../../src/bounces/parse.js";

const DIR = fileURLToPath(new URL("../fixtures/bounces/", import.meta.url));
type Class = "permanent" | "temporary";
interface Judged { detector: string | null; temporary: string[]; permanent: string[] }
const EXPECTED = JSON.parse(readFileSync(DIR + "expected.json", "utf8")) as { library: string; messages: Record<string, Judged> };

/** Where mailroom knowingly answers otherwise than flufl.bounce, and why. */
const EXCEPTIONS: Record<string, { reason: string; mailroom: Record<string, Class> }> = {
  "flufl/microsoft_01.txt": {
    reason: "flufl.bounce's GroupWise detector claims this Exchange bounce first and returns the X.400 fragment 'c=us;a=', not an address; its own test table expects userx@example.COM (Exchange detector), which mailroom finds",
    mailroom: { "userx@example.com": "permanent" },
  },
  "flufl/microsoft_04.txt": {
    reason: "as microsoft_01: flufl.bounce returns 'c=us;a=' (GroupWise detector); its test table expects userx@example.COM (Microsoft detector), which mailroom finds",
    mailroom: { "userx@example.com": "permanent" },
  },
};

const isAddress = (a: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(a);
const judged = (j: Judged): Record<string, Class> => Object.fromEntries([
  ...j.permanent.filter(isAddress).map((a) => [a.toLowerCase(), "permanent"]),
  ...j.temporary.filter(isAddress).map((a) => [a.toLowerCase(), "temporary"]),
]);

interface Row { file: string; library: Record<string, Class>; detector: string; ours: Record<string, Class>; format: string; agrees: boolean }
const rows: Row[] = [];

test("expected.json covers every message of the corpus", () => {
  const files = ["flufl", "mta"].flatMap((d) => readdirSync(DIR + d).filter((f) => /\.(txt|eml)$/.test(f)).map((f) => `${d}/${f}`)).sort();
  assert.deepEqual(files, Object.keys(EXPECTED.messages).sort());
});

for (const [file, j] of Object.entries(EXPECTED.messages)) {
  test(`${file}: ${j.detector ?? "not a bounce"} → ${JSON.stringify(judged(j))}`, async () => {
    const report = await parseBounce(readFileSync(DIR + file));
    const ours = Object.fromEntries(report.recipients.map((r) => [r.address.toLowerCase(), r.kind]));
    const library = judged(j);
    const agrees = Object.entries(library).every(([a, k]) => ours[a] === k);
    rows.push({ file, library, detector: j.detector ?? "(none)", ours, format: report.format, agrees });
    const exception = EXCEPTIONS[file];
    if (exception) assert.deepEqual(ours, exception.mailroom, exception.reason);
    else assert.deepEqual(ours, library, "the same addresses with the same class as flufl.bounce");
  });
}

test("per format: addresses found and their class; the share agreeing with flufl.bounce", () => {
  const byDetector = new Map<string, Row[]>();
  for (const r of rows) byDetector.set(r.detector, [...(byDetector.get(r.detector) ?? []), r]);
  const lines = [`bounce corpus vs ${EXPECTED.library} (flufl detector → mailroom rows)`,
    "detector        msgs  addresses(perm/temp)  mailroom same class  mailroom rows"];
  for (const [detector, rs] of [...byDetector].sort()) {
    const lib = rs.flatMap((r) => Object.entries(r.library));
    const same = rs.flatMap((r) => Object.entries(r.library).filter(([a, k]) => r.ours[a] === k));
    const perm = lib.filter(([, k]) => k === "permanent").length;
    const all = [...new Set(rs.map((r) => r.format))].sort();
    const formats = all.length > 4 ? `${all.slice(0, 3).join(", ")} and ${all.length - 3} more` : all.join(", ");
    lines.push(`${detector.padEnd(15)} ${String(rs.length).padStart(4)}  ${`${lib.length} (${perm}/${lib.length - perm})`.padStart(20)}  ${String(same.length).padStart(19)}  ${formats}`);
  }
  const bounces = rows.filter((r) => Object.keys(r.library).length > 0);
  const agreeing = bounces.filter((r) => r.agrees);
  lines.push(`share: ${agreeing.length}/${bounces.length} messages where flufl.bounce finds an address (${(100 * agreeing.length / bounces.length).toFixed(1)}%): mailroom finds every one with the same class`);
  for (const [dir, what] of [["flufl/", "flufl.bounce's test messages"], ["mta/postfix-", "bounces the real Postfix wrote"], ["mta/exim-", "bounces the real Exim wrote"]] as const) {
    const b = bounces.filter((r) => r.file.startsWith(dir));
    lines.push(`  ${what}: ${b.filter((r) => r.agrees).length}/${b.length}`);
  }
  lines.push(`not bounces to flufl.bounce: ${rows.length - bounces.length} (mailroom finds an address in ${rows.filter((r) => !Object.keys(r.library).length && Object.keys(r.ours).length).length}: ${Object.keys(EXCEPTIONS).join(", ")}, see EXCEPTIONS)`);
  console.log(lines.join("\n"));
  assert.equal(rows.length, Object.keys(EXPECTED.messages).length);
  assert.equal(agreeing.length, bounces.length);
});
