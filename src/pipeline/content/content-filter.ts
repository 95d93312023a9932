// Mailman's content filtering (handlers/mime_delete.py) over a parsed post
// (mime-tree.ts): the post as a whole, then each part, is checked against the list's
// filterTypes/passTypes (full type or main type) and filterExtensions/passExtensions
// (the file name's last extension); removed parts vanish, a multipart left empty goes
// too. Then, as Mailman does: multipart/alternative is reduced to its first part
// (collapseAlternatives), a multipart left with one part becomes that part (not
// multipart/signed: its signature must stay verifiable), text/html becomes text/plain
// (convertHtmlToPlaintext, html-to-text), and a multipart of an empty first part and
// one more becomes the second. Attached messages are filtered as posts of their own.
// The result is a value: unchanged, the new entity tree, the whole post removed
// (dispose, with the reason), or unfilterable (held by mime-delete, with the reason).
import type { MailingList } from "../../generated/prisma/client.js";
import { htmlToText } from "./html-text.js";
import { parseMime, type MimeLimits, MIME_LIMITS, type MimePart } from "./mime-tree.js";
import { decodedText, decodedBytes } from "./part-body.js";

/** What the filtered post is made of: parts as received, converted text, rebuilt multiparts and messages. */
export type Entity =
  | { kind: "raw"; part: MimePart }
  | { kind: "text"; part: MimePart; text: string }
  | { kind: "multipart"; part: MimePart; children: Entity[] }
  | { kind: "message"; part: MimePart; inner: FilteredMessage };

/** An attached message after filtering: its own headers as received, a new content. */
export interface FilteredMessage { raw: Buffer; root: Entity }

export type FilterResult =
  | { kind: "unchanged" }
  | { kind: "changed"; root: Entity }
  | { kind: "dispose"; reason: string }
  | { kind: "unfilterable"; reason: string };

export type FilterSettings = Pick<MailingList,
  "filterTypes" | "passTypes" | "filterExtensions" | "passExtensions" | "collapseAlternatives" | "convertHtmlToPlaintext">;

interface Run { s: FilterSettings; limits: MimeLimits; parts: number; changed: boolean }

const mainType = (type: string) => type.slice(0, type.indexOf("/") >>> 0);

function extensionOf(part: MimePart): string {
  const name = part.node.filename || "";
  const dot = name.lastIndexOf(".");
  // Like Python's os.path.splitext: the last dot, not a leading one, with something after it.
  return dot > 0 && dot < name.length - 1 && !/[\\/]/.test(name.slice(dot)) ? name.slice(dot + 1).toLowerCase() : "";
}

/** Why this part must go, or null to keep it. */
function refusal(part: MimePart, s: FilterSettings): string | null {
  const types = [part.type, mainType(part.type)];
  if (types.some((t) => s.filterTypes.includes(t))) return `its content type (${part.type}) is not allowed on this list`;
  if (s.passTypes.length && !types.some((t) => s.passTypes.includes(t))) return `its content type (${part.type}) is not one this list accepts`;
  const ext = extensionOf(part);
  if (ext && s.filterExtensions.includes(ext)) return `its file extension (.${ext}) is not allowed on this list`;
  if (ext && s.passExtensions.length && !s.passExtensions.includes(ext)) return `its file extension (.${ext}) is not one this list accepts`;
  return null;
}

class Unfilterable extends Error {}

/** A part after filtering, or null when it is removed. */
async function filterPart(part: MimePart, run: Run): Promise<Entity | null> {
  // The part's own verdict first: what goes anyway is not opened (an attached message
  // inside it that cannot be parsed must not make the whole post unfilterable).
  if (refusal(part, run.s)) {
    run.changed = true;
    return null;
  }
  let entity: Entity | null;
  if (part.children) {
    const kept: Entity[] = [];
    for (const child of part.children) {
      const e = await filterPart(child, run);
      if (e) kept.push(e);
    }
    if (kept.length !== part.children.length) run.changed = true;
    // A multipart whose every part went goes too (Mailman: filter_parts returns False).
    entity = kept.length ? { kind: "multipart", part, children: kept } : null;
  } else if (part.type === "message/rfc822") {
    entity = await filterAttached(part, run);
  } else {
    entity = { kind: "raw", part };
  }
  return entity;
}

/** An attached message is filtered like a post; removed whole, the attachment goes. */
async function filterAttached(part: MimePart, run: Run): Promise<Entity | null> {
  const raw = await decodedBytes(part);
  const inner = await parseMime(raw, run.limits, part.depth + 1, run.parts);
  if (!inner.ok) throw new Unfilterable(`an attached message: ${inner.reason}`);
  run.parts = inner.parts;
  const sub: Run = { ...run, changed: false };
  const result = await filterTree(inner.root, sub);
  run.parts = sub.parts;
  if (result.kind === "dispose") { run.changed = true; return null; }
  if (result.kind === "unchanged") return { kind: "raw", part };
  run.changed = true;
  return { kind: "message", part, inner: { raw, root: (result as { root: Entity }).root } };
}

/** Mailman's collapse_multipart_alternatives: each multipart/alternative inside becomes its first part. */
function collapse(e: Entity, run: Run): Entity {
  if (e.kind !== "multipart") return e;
  const children = e.children.map((c) => {
    if (c.kind === "multipart" && c.part.type === "multipart/alternative") {
      run.changed = true;
      return c.children[0]!;
    }
    return collapse(c, run);
  });
  return { ...e, children };
}

/** Mailman's recast_multipart: a multipart with one part is that part (multipart/signed is left alone). */
function recast(e: Entity, run: Run): Entity {
  if (e.kind !== "multipart" || e.part.type === "multipart/signed") return e;
  if (e.children.length === 1) {
    run.changed = true;
    return recast(e.children[0]!, run);
  }
  return { ...e, children: e.children.map((c) => recast(c, run)) };
}

async function toPlainText(e: Entity, run: Run): Promise<Entity> {
  if (e.kind === "multipart") {
    const children: Entity[] = [];
    for (const c of e.children) children.push(await toPlainText(c, run));
    return { ...e, children };
  }
  if (e.kind === "raw" && e.part.type === "text/html") {
    run.changed = true;
    const converted = htmlToText(await decodedText(e.part));
    if (!converted.ok) throw new Unfilterable(converted.reason);
    return { kind: "text", part: e.part, text: converted.text };
  }
  return e;
}

function isEmptyLeaf(e: Entity): boolean {
  return e.kind === "raw" && e.part.body.every((b) => b.toString("latin1").trim() === "");
}

async function filterTree(root: MimePart, run: Run): Promise<FilterResult> {
  const whole = refusal(root, run.s);
  if (whole) return { kind: "dispose", reason: `The post was removed by content filtering: ${whole}` };
  let entity = await filterPart(root, run);
  if (!entity) return { kind: "dispose", reason: "The post was removed by content filtering: nothing was left of it" };
  if (run.s.collapseAlternatives) {
    entity = collapse(entity, run);
    if (entity.kind === "multipart" && entity.part.type === "multipart/alternative") {
      run.changed = true;
      entity = entity.children[0]!;
    }
  }
  entity = recast(entity, run);
  if (run.s.convertHtmlToPlaintext) entity = await toPlainText(entity, run);
  // A body left empty beside one attachment: the attachment is the post.
  if (entity.kind === "multipart" && entity.children.length === 2 && isEmptyLeaf(entity.children[0]!)) {
    run.changed = true;
    entity = entity.children[1]!;
  }
  return run.changed ? { kind: "changed", root: entity } : { kind: "unchanged" };
}

/** Filters a post (its bytes as the chain left them) by the list's settings. */
export async function filterContent(raw: Buffer, settings: FilterSettings, limits: MimeLimits = MIME_LIMITS): Promise<FilterResult> {
  const tree = await parseMime(raw, limits);
  if (!tree.ok) return { kind: "unfilterable", reason: tree.reason };
  try {
    return await filterTree(tree.root, { s: settings, limits, parts: tree.parts, changed: false });
  } catch (err) {
    if (err instanceof Unfilterable) return { kind: "unfilterable", reason: err.message };
    // Anything else the post made fail (a library's RangeError, a decoder's error) is
    // the post's doing too: held with the reason, not retried until shunted.
    return { kind: "unfilterable", reason: `filtering failed (${(err as Error)?.message ?? String(err)})` };
  }
}
