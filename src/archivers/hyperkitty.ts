// HyperKitty's archiver API, spoken as Debian's python3-mailman-hyperkitty plugin
// speaks it: the key in "Authorization: Token <key>" (HyperKitty's key_and_ip_auth
// refuses anything else), POST api/mailman/archive as multipart with the field
// "mlist" (the list's posting address) and the file "message" (message.txt, the
// bytes), and GET api/mailman/urls?mlist=[&msgid=] for the list's or a post's URL;
// both answer {"url": …}. Node's fetch, FormData and Blob do the HTTP; the key never
// reaches a log or an outcome (outcomes carry the status and HyperKitty's text only).

export interface HyperKittyOptions {
  /** Base URL ending in "/" (HyperKitty's root, e.g. http://localhost:8000/hyperkitty/). */
  url: string;
  apiKey: string;
  /** Per request; a HyperKitty that hangs counts as down. */
  timeoutMs?: number;
}

/** What one archive POST came to. */
export type ArchiveOutcome =
  | { outcome: "archived"; url: string }
  /** The post is too large for HyperKitty or the proxy before it (413): retrying will not help. */
  | { outcome: "refused"; status: number; detail: string }
  /**
   * Anything else: down, unreachable, timed out, 5xx, wrong key (401/403), and 400 too,
   * which Django also answers for a Host outside ALLOWED_HOSTS: an operator can fix all
   * of them, so the post waits (the plugin likewise keeps every failed post for later).
   */
  | { outcome: "unavailable"; detail: string };

export interface HyperKitty {
  archive(mlist: string, raw: Buffer): Promise<ArchiveOutcome>;
  /** The list's archive URL (msgid unset) or a post's; null when HyperKitty cannot say now. */
  url(mlist: string, msgid?: string): Promise<string | null>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_DETAIL = 300;

export function createHyperKitty(opts: HyperKittyOptions): HyperKitty {
  const headers = { Authorization: `Token ${opts.apiKey}` };
  const timeout = () => AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const endpoint = (path: string) => new URL(path, opts.url);

  return {
    async archive(mlist, raw) {
      const form = new FormData();
      form.append("mlist", mlist);
      form.append("message", new Blob([new Uint8Array(raw)], { type: "message/rfc822" }), "message.txt");
      let res: Response;
      try {
        res = await fetch(endpoint("api/mailman/archive"), { method: "POST", headers, body: form, signal: timeout() });
      } catch (err) {
        return { outcome: "unavailable", detail: describe(err) };
      }
      const text = await res.text().catch(() => "");
      if (res.status === 413) return { outcome: "refused", status: 413, detail: snippet(text) };
      if (res.status !== 200) return { outcome: "unavailable", detail: `HTTP ${res.status}: ${snippet(text)}` };
      const url = urlOf(text);
      // A 200 without the JSON the plugin reads is not a HyperKitty answer (a proxy page): try again.
      return url === null ? { outcome: "unavailable", detail: `HTTP 200 without {"url"}: ${snippet(text)}` } : { outcome: "archived", url };
    },

    async url(mlist, msgid) {
      const u = endpoint("api/mailman/urls");
      u.searchParams.set("mlist", mlist);
      if (msgid !== undefined) u.searchParams.set("msgid", msgid.trim().replace(/^<|>$/g, ""));
      try {
        const res = await fetch(u, { headers, signal: timeout() });
        const text = await res.text();
        return res.status === 200 ? urlOf(text) : null;
      } catch {
        return null;
      }
    },
  };
}

function urlOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as { url?: unknown };
    return typeof body.url === "string" && body.url !== "" ? body.url : null;
  } catch {
    return null;
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return "timed out";
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

const snippet = (text: string) => text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, MAX_DETAIL);
