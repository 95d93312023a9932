// DMARC policy lookup for the dmarc-mitigation rule (Mailman rules/dmarc.py): the
// p= of _dmarc.<From domain>, else the sp= (or p=) of the organisational domain.
// Behind an interface so tests use a fake resolver and need no network; the
// production resolver uses node:dns/promises with a small TTL cache.
import { resolveTxt as dnsResolveTxt } from "node:dns/promises";

export type DmarcPolicy = "none" | "quarantine" | "reject";

export interface DmarcResolver {
  /** The policy that applies to mail From: this domain; null when none is published (or DNS failed). */
  policy(domain: string): Promise<DmarcPolicy | null>;
}

export type TxtLookup = (name: string) => Promise<string[][]>;

export interface DnsResolverOptions {
  resolveTxt?: TxtLookup;
  /** How long an answer is reused. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

// Without the Public Suffix List the organisational domain is guessed: the last two
// labels, or three under common second-level registries (example.co.uk).
const SECOND_LEVEL = new Set(["co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go", "ltd", "plc"]);

export function organisationalDomain(domain: string): string {
  const labels = domain.toLowerCase().replace(/\.$/, "").split(".");
  const take = labels.length >= 3 && labels.at(-1)!.length === 2 && SECOND_LEVEL.has(labels.at(-2)!) ? 3 : 2;
  return labels.slice(-take).join(".");
}

/** The tags of a DMARC record (RFC 7489 section 6.3), or null when the text is not one. */
export function parseDmarcRecord(txt: string): Record<string, string> | null {
  const tags: Record<string, string> = {};
  for (const part of txt.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) tags[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().toLowerCase();
  }
  return tags.v === "dmarc1" ? tags : null;
}

function asPolicy(value: string | undefined): DmarcPolicy | null {
  return value === "none" || value === "quarantine" || value === "reject" ? value : null;
}

export function createDnsDmarcResolver(opts: DnsResolverOptions = {}): DmarcResolver {
  const resolveTxt = opts.resolveTxt ?? dnsResolveTxt;
  const ttlMs = opts.ttlMs ?? 3600_000;
  const maxEntries = opts.maxEntries ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { tags: Record<string, string> | null; expires: number }>();

  async function record(domain: string): Promise<Record<string, string> | null> {
    const hit = cache.get(domain);
    if (hit && hit.expires > now()) return hit.tags;
    let tags: Record<string, string> | null = null;
    let ttl = ttlMs;
    try {
      const answers = await resolveTxt(`_dmarc.${domain}`);
      // RFC 7489 section 6.6.3: exactly one record, else no policy.
      const records = answers.map((chunks) => parseDmarcRecord(chunks.join(""))).filter((r) => r !== null);
      tags = records.length === 1 ? records[0]! : null;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // No such name / no TXT: a real "no policy". Anything else is a DNS failure,
      // remembered briefly so a broken resolver is not hammered.
      if (code !== "ENOTFOUND" && code !== "ENODATA") ttl = Math.min(ttlMs, 60_000);
    }
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(domain, { tags, expires: now() + ttl });
    return tags;
  }

  return {
    async policy(domain) {
      const d = domain.toLowerCase().replace(/\.$/, "");
      const own = await record(d);
      if (own) return asPolicy(own.p);
      const org = organisationalDomain(d);
      if (org === d) return null;
      const parent = await record(org);
      return parent ? asPolicy(parent.sp ?? parent.p) : null;
    },
  };
}
