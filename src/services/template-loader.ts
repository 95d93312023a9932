// Finds the text of a notice template (Mailman's TemplateLoader, model/template.py,
// and its i18n search, utilities/i18n.py). For each language in turn (the
// recipient's, the list's, English) it tries the list's override, the domain's, the
// site's, then the file shipped in templates/<language>/<name>.txt. An override is
// text stored through the native API or a URI (http, https, file under
// MAILROOM_TEMPLATE_DIR, mailman:///). Used by services/notices.ts and decoration.
import { readFileSync } from "node:fs";
import { readFile, realpath } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Template } from "../generated/prisma/client.js";
import type { Config } from "../config/index.js";
import type { Tx } from "../db/client.js";
import type { Logger } from "../log.js";
import { expand, isTemplateName, languageChain, LANGUAGE_PATTERN, type TemplateName } from "../domain/template-text.js";
import { parseTemplateUri, redactUri, type TemplateSource } from "../domain/template-uri.js";
import type { TemplateScope } from "./templates.js";

/** Shipped with the code: src/services → ../../templates, and the same from dist/services. */
export const BUILTIN_TEMPLATE_DIR = fileURLToPath(new URL("../../templates", import.meta.url));

/** MAILROOM_TEMPLATE_* defaults, for callers without a Config (tests, benchmarks). */
export const DEFAULT_TEMPLATE_SETTINGS: Config["templates"] = { dir: "/nonexistent", fetchTimeoutMs: 5000, cacheSeconds: 300 };

/** Whose templates apply, and the recipient's own language if one is set. */
export interface TemplateTarget {
  list?: { listId: string; listName: string; mailHost: string; preferredLanguage: string };
  /** A domain's mail host, when there is no list. */
  mailHost?: string;
  language?: string | null;
}

export interface LoadedTemplate { text: string; language: string; source: TemplateScope | "builtin" }

export interface TemplateLoaderOptions {
  builtinDir?: string;
  fetch?: typeof fetch;
  now?: () => number;
}

export function createTemplateLoader(deps: { config: Pick<Config, "templates">; log: Logger }, opts: TemplateLoaderOptions = {}) {
  const { config, log } = deps;
  const builtinDir = opts.builtinDir ?? BUILTIN_TEMPLATE_DIR;
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  // Shipped files never change while running: read each once (misses too).
  const builtins = new Map<string, string | null>();
  const subjects = new Map<string, Record<string, string>>();
  const fetched = new Map<string, { at: number; text: string | null }>();

  function builtin(language: string, name: string): string | null {
    const k = `${language}/${name}`;
    if (!builtins.has(k)) {
      let text: string | null = null;
      try { text = readFileSync(resolve(builtinDir, language, `${name}.txt`), "utf8"); } catch { /* not shipped in this language */ }
      builtins.set(k, text);
    }
    return builtins.get(k)!;
  }

  function subjectsOf(language: string): Record<string, string> {
    if (!subjects.has(language)) {
      let table: Record<string, string> = {};
      try { table = JSON.parse(readFileSync(resolve(builtinDir, language, "subjects.json"), "utf8")) as Record<string, string>; } catch { /* none */ }
      subjects.set(language, table);
    }
    return subjects.get(language)!;
  }

  /** mailman:///[list/][language/]name.txt: the shipped template (Mailman's own scheme for its defaults). */
  function mailmanUri(segments: string[], language: string): string | null {
    const parts = [...segments];
    const file = parts.pop() ?? "";
    const name = file.replace(/\.txt$/, "");
    if (!isTemplateName(name)) return null;
    const lang = parts.find((p) => LANGUAGE_PATTERN.test(p)) ?? language;
    return builtin(lang, name) ?? builtin("en", name);
  }

  async function fromUrl(row: Template, uri: URL): Promise<string | null> {
    const cacheKey = `${row.username}\u0000${uri.href}`;
    const hit = fetched.get(cacheKey);
    if (hit && now() - hit.at < config.templates.cacheSeconds * 1000) return hit.text;
    let text: string | null = null;
    try {
      const headers: Record<string, string> = row.username || row.password
        ? { authorization: `Basic ${Buffer.from(`${row.username}:${row.password}`).toString("base64")}` } : {};
      const res = await doFetch(uri, { headers, signal: AbortSignal.timeout(config.templates.fetchTimeoutMs), redirect: "follow" });
      if (res.ok) text = await boundedText(res);
      else log.warn({ uri: redactUri(uri.href), status: res.status, template: row.name }, "template URI answered an error; falling back");
    } catch (err) {
      log.warn({ uri: redactUri(uri.href), err: (err as Error).message, template: row.name }, "template URI could not be fetched; falling back");
    }
    fetched.set(cacheKey, { at: now(), text });
    if (fetched.size > 1000) fetched.delete(fetched.keys().next().value!);
    return text;
  }

  /** A file under MAILROOM_TEMPLATE_DIR; its real path is compared, so a symlink in the dir cannot lead out of it. */
  async function fromFile(file: string, href: string, name: string): Promise<string | null> {
    let path: string, root: string;
    try { [path, root] = await Promise.all([realpath(file), realpath(config.templates.dir)]); } catch (err) {
      log.warn({ uri: href, err: (err as Error).message, template: name }, "template file could not be read; falling back");
      return null;
    }
    if (!path.startsWith(root + sep)) {
      log.warn({ uri: href, dir: root, template: name }, "file: template URI outside MAILROOM_TEMPLATE_DIR; ignored");
      return null;
    }
    try { return await readFile(path, "utf8"); } catch (err) {
      log.warn({ uri: href, err: (err as Error).message, template: name }, "template file could not be read; falling back");
      return null;
    }
  }

  /** An override's text, or null when it cannot be had (then the lookup goes on, as Mailman's does). */
  async function contentOf(row: Template, language: string, target: TemplateTarget): Promise<string | null> {
    if (row.text !== null) return row.text;
    const l = target.list;
    const href = expand(row.uri, {
      language, ...(l ? { list_id: l.listId, listname: `${l.listName}@${l.mailHost}`, domain_name: l.mailHost } : {}),
      ...(!l && target.mailHost ? { domain_name: target.mailHost } : {}),
    });
    let source: TemplateSource;
    try { source = parseTemplateUri(href); } catch (err) {
      log.warn({ uri: redactUri(href), err: (err as Error).message, template: row.name }, "template URI cannot be resolved; ignored");
      return null;
    }
    switch (source.kind) {
      case "http": return fromUrl(row, source.url);
      case "file": return fromFile(source.path, redactUri(href), row.name);
      case "mailman": return mailmanUri(source.segments, language);
    }
  }

  /** Each named template for `target`, in the best language there is one for; one query for all. */
  async function loadAll(client: Tx, names: TemplateName[], target: TemplateTarget): Promise<LoadedTemplate[]> {
    if (names.length === 0) return [];
    const languages = languageChain(target.language, target.list?.preferredLanguage);
    const mailHost = target.list?.mailHost ?? target.mailHost;
    const scopes: { scope: TemplateScope; key: string }[] = [
      ...(target.list ? [{ scope: "list" as const, key: target.list.listId }] : []),
      ...(mailHost ? [{ scope: "domain" as const, key: mailHost }] : []),
      { scope: "site", key: "" },
    ];
    const rows = await client.template.findMany({ where: { name: { in: names }, OR: scopes.map((s) => ({ scope: s.scope, scopeKey: s.key })) } });
    const out: LoadedTemplate[] = [];
    for (const name of names) out.push(await pick(rows.filter((r) => r.name === name), name, languages, scopes, target));
    return out;
  }

  async function pick(rows: Template[], name: TemplateName, languages: string[], scopes: { scope: TemplateScope; key: string }[],
    target: TemplateTarget): Promise<LoadedTemplate> {
    const failed = new Set<number>();
    for (const language of languages) {
      for (const s of scopes) {
        const mine = rows.filter((r) => r.scope === s.scope && r.scopeKey === s.key);
        for (const row of [mine.find((r) => r.language === language), mine.find((r) => r.language === "")]) {
          if (!row || failed.has(row.id)) continue;
          // Whatever goes wrong with one override (a URI stored before it was checked, a
          // read error) must not fail the notice or the post: log it and go on.
          const text = await contentOf(row, language, target).catch((err: unknown) => {
            log.warn({ uri: redactUri(row.uri), err: (err as Error).message, template: row.name }, "template override could not be read; falling back");
            return null;
          });
          if (text !== null) return { text, language, source: s.scope };
          // A URI naming $language may exist in the next language; any other failed for good.
          if (!/\$\{?language\b/.test(row.uri)) failed.add(row.id);
        }
      }
      const text = builtin(language, name);
      if (text !== null) return { text, language, source: "builtin" };
    }
    return { text: "", language: "en", source: "builtin" };
  }

  return {
    /** The template for `target`, in the best language there is one for. */
    async load(client: Tx, name: TemplateName, target: TemplateTarget): Promise<LoadedTemplate> {
      return (await loadAll(client, [name], target))[0]!;
    },

    /**
     * The header and footer added to posts (Mailman's decorate handler, in the list's
     * language): the list's own msgHeader/msgFooter when set, else the
     * list:member:regular:header/footer templates. Not yet $-expanded.
     */
    async decoration(client: Tx, list: NonNullable<TemplateTarget["list"]> & { msgHeader: string; msgFooter: string }): Promise<{ header: string; footer: string }> {
      const own = { "list:member:regular:header": list.msgHeader, "list:member:regular:footer": list.msgFooter } as const;
      const wanted = (Object.keys(own) as (keyof typeof own)[]).filter((n) => own[n].trim() === "");
      // One query for both (this runs for every accepted post).
      const found = new Map((await loadAll(client, wanted, { list })).map((t, i) => [wanted[i]!, t.text]));
      return {
        header: found.get("list:member:regular:header") ?? list.msgHeader,
        footer: found.get("list:member:regular:footer") ?? list.msgFooter,
      };
    },

    /** The Subject of a notice from this template, in `language` (else English); null if it has none. */
    subject(name: TemplateName, language: string): string | null {
      return subjectsOf(language)[name] ?? subjectsOf("en")[name] ?? null;
    },
  };
}

export type TemplateLoader = ReturnType<typeof createTemplateLoader>;

/** A template is text of a few kilobytes; a larger answer is refused rather than kept in memory. */
const MAX_TEMPLATE_BYTES = 1 << 20;

async function boundedText(res: Response): Promise<string> {
  if (Number(res.headers.get("content-length") ?? 0) > MAX_TEMPLATE_BYTES) throw new Error("template larger than 1 MiB");
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_TEMPLATE_BYTES) throw new Error("template larger than 1 MiB");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
