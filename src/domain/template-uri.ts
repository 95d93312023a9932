// A template override's URI (Mailman's uris) taken apart: http(s) to fetch, a file:
// path, or mailman:/// path segments. One parser for the loader (which logs and goes
// on when it throws) and for both write APIs (which answer 400 with its message), so
// a URI accepted at write time is one the loader can resolve. Pure.
import { fileURLToPath } from "node:url";
import { expand } from "./template-text.js";

export type TemplateSource =
  | { kind: "http"; url: URL }
  | { kind: "file"; path: string }
  | { kind: "mailman"; segments: string[] };

/** The source an (already $-expanded) URI names; throws an Error saying why when it names none. */
export function parseTemplateUri(href: string): TemplateSource {
  let url: URL;
  try { url = new URL(href); } catch { throw new Error("not a URI"); }
  switch (url.protocol) {
    case "http:": case "https:": return { kind: "http", url };
    case "file:":
      // fileURLToPath refuses a host (file://host/x) and an encoded slash (%2F).
      try { return { kind: "file", path: fileURLToPath(url) }; } catch { throw new Error("a file: URI takes no host and no encoded '/' (file:///path)"); }
    case "mailman:":
      try { return { kind: "mailman", segments: decodeURIComponent(url.pathname).split("/").filter(Boolean) }; } catch {
        throw new Error("the mailman: URI has an invalid %-escape");
      }
    default: throw new Error(`scheme ${url.protocol} is not supported (http, https, file, mailman)`);
  }
}

/** Stand-ins for the placeholders the loader fills in, to check a URI at write time. */
const SAMPLE = { language: "en", list_id: "list.example.com", listname: "list@example.com", domain_name: "example.com" };

/** Why a URI given to an API cannot be resolved, or null if it can. */
export function templateUriProblem(uri: string): string | null {
  try { parseTemplateUri(expand(uri, SAMPLE)); return null; } catch (err) { return `template URI ${redactUri(uri)}: ${(err as Error).message}`; }
}

/** The URI without credentials written into it (user:password@), for logs and errors. */
export function redactUri(href: string): string {
  return href.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@]*@/, "$1");
}
