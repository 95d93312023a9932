// pipeline/dmarc.ts with a fake TXT lookup: own record, organisational fallback
// (sp= first), malformed and multiple records, DNS failures, caching.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDnsDmarcResolver, organisationalDomain, type TxtLookup } from "../../src/pipeline/dmarc.js";

function fakeDns(records: Record<string, string[]>, calls: string[] = []): TxtLookup {
  return async (name) => {
    calls.push(name);
    if (name === "_dmarc.broken.example") throw Object.assign(new Error("SERVFAIL"), { code: "ESERVFAIL" });
    const r = records[name];
    if (!r) throw Object.assign(new Error("nx"), { code: "ENOTFOUND" });
    return r.map((t) => [t]);
  };
}

describe("DMARC resolver", () => {
  const dns = fakeDns({
    "_dmarc.strict.example": ["v=DMARC1; p=reject; rua=mailto:x@strict.example"],
    "_dmarc.org.example": ["v=DMARC1; p=quarantine; sp=none"],
    "_dmarc.parent.example": ["v=DMARC1; p=reject"],
    "_dmarc.two.example": ["v=DMARC1; p=reject", "v=DMARC1; p=none"],
    "_dmarc.junk.example": ["hello world"],
    "_dmarc.shop.co.uk": ["v=DMARC1; p=reject"],
  });
  const r = createDnsDmarcResolver({ resolveTxt: dns });
  const cases: [string, string | null][] = [
    ["strict.example", "reject"],
    ["STRICT.example.", "reject"],
    ["org.example", "quarantine"],
    ["mail.org.example", "none"],
    ["a.b.parent.example", "reject"],
    ["two.example", null],
    ["junk.example", null],
    ["nothing.example", null],
    ["broken.example", null],
    ["www.shop.co.uk", "reject"],
  ];
  for (const [domain, expected] of cases) {
    it(`${domain} → ${expected}`, async () => assert.equal(await r.policy(domain), expected));
  }
  it("guesses organisational domains", () => {
    assert.equal(organisationalDomain("a.b.example.com"), "example.com");
    assert.equal(organisationalDomain("mail.example.co.uk"), "example.co.uk");
  });
  it("caches answers until the TTL runs out", async () => {
    const calls: string[] = [];
    let now = 0;
    const cached = createDnsDmarcResolver({ resolveTxt: fakeDns({ "_dmarc.c.example": ["v=DMARC1; p=reject"] }, calls), ttlMs: 1000, now: () => now });
    await cached.policy("c.example");
    await cached.policy("c.example");
    assert.equal(calls.length, 1);
    now = 2000;
    await cached.policy("c.example");
    assert.equal(calls.length, 2);
  });
});
