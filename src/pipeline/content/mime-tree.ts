// A post's MIME structure for content filtering (handlers/mime-delete.ts): a tree of
// parts, each leaf keeping its body bytes exactly as received. mailsplit (the
// splitter under mailparser) decides where parts begin and end; this module adds the
// limits that make hostile input cheap to refuse — nesting depth and part count,
// checked as the parts arrive, so a MIME bomb is given up on after a few dozen parts —
// and refuses structures that cannot be filtered without guessing: a multipart with no
// boundary, with no parts, or never closed. Attached messages (message/rfc822) are
// leaves here; the filter opens them itself (content-filter.ts).
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Splitter } from "@zone-eu/mailsplit";
import type { MimeNode, SplitterChunk } from "@zone-eu/mailsplit";

export interface MimePart {
  node: MimeNode;
  /** Lower-cased media type; text/plain when the part names none (RFC 2045 §5.2). */
  type: string;
  /** Parts of a multipart, in order; null for a leaf. */
  children: MimePart[] | null;
  /** A leaf's body, transfer-encoded, as received. */
  body: Buffer[];
  /** A multipart whose closing delimiter was seen. */
  closed: boolean;
  depth: number;
}

export interface MimeLimits {
  /** Multiparts inside multiparts (and attached messages inside those) beyond this are refused. */
  depth: number;
  /** Parts in one post (attached messages included) beyond this are refused. */
  parts: number;
}

/** Far beyond what mail programs write (a reply chain of forwards nests a handful deep). */
export const MIME_LIMITS: MimeLimits = { depth: 20, parts: 500 };

export type MimeTree = { ok: true; root: MimePart; parts: number } | { ok: false; reason: string };

/** Raised inside the sink to stop splitting; its message is the reason the post is held. */
class Refused extends Error {}

export async function parseMime(raw: Buffer, limits: MimeLimits = MIME_LIMITS, baseDepth = 0, partsSoFar = 0): Promise<MimeTree> {
  const byNode = new Map<MimeNode, MimePart>();
  let root: MimePart | null = null;
  let count = partsSoFar;
  const sink = new Writable({
    objectMode: true,
    write(chunk: SplitterChunk, _enc, cb) {
      if (chunk.type === "node") {
        const node = chunk as MimeNode;
        const parent = node.parentNode ? byNode.get(node.parentNode) : undefined;
        const depth = parent ? parent.depth + 1 : baseDepth;
        if (++count > limits.parts) return cb(new Refused(`the post has more than ${limits.parts} MIME parts`));
        if (depth > limits.depth) return cb(new Refused(`the post's MIME parts are nested more than ${limits.depth} levels deep`));
        const part: MimePart = {
          node, type: node.contentType || "text/plain", children: node.multipart ? [] : null, body: [], closed: false, depth,
        };
        byNode.set(node, part);
        if (parent?.children) parent.children.push(part);
        else root ??= part;
      } else if (chunk.type === "body") {
        byNode.get(chunk.node)?.body.push(chunk.value);
      } else if (chunk.type === "data" && chunk.node.multipart && chunk.node._boundary) {
        // The closing delimiter "--boundary--" (RFC 2046 §5.1.1), trailing blanks allowed,
        // arrives in a data chunk of its multipart together with the epilogue.
        const close = `--${chunk.node._boundary.toString("latin1")}--`;
        const part = byNode.get(chunk.node);
        if (part && part.children!.length > 0 && chunk.value.toString("latin1").split(/\r?\n|\r/).some((l) => l.trimEnd() === close)) {
          part.closed = true;
        }
      }
      cb();
    },
  });
  try {
    await pipeline(Readable.from(slices(raw)), new Splitter({ ignoreEmbedded: true, maxChildNodes: limits.parts + 1 }), sink);
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.message };
    // mailsplit's own limits (EMAXLEN: a header block over 1 MiB, too many parts).
    return { ok: false, reason: `the post's MIME structure cannot be read (${(err as Error).message})` };
  }
  if (!root) return { ok: false, reason: "the post has no MIME structure" };
  const bad = malformed(root);
  return bad ? { ok: false, reason: bad } : { ok: true, root, parts: count };
}

/** The post in 4 KiB views: a refusal stops the splitter within one slice, not at the end of the post (a deep bomb costs mailsplit time per line and level). */
function* slices(raw: Buffer): Generator<Buffer> {
  for (let i = 0; i < raw.length; i += 4096) yield raw.subarray(i, i + 4096);
}

/** Why a multipart cannot be split with confidence, or null when every one can. */
function malformed(part: MimePart): string | null {
  if (!part.children) return null;
  if (!part.node._boundary) return `a ${part.type} part has no boundary`;
  if (part.children.length === 0) return `a ${part.type} part has no parts (its boundary never occurs)`;
  if (!part.closed) return `a ${part.type} part is never closed (no final boundary)`;
  for (const child of part.children) {
    const bad = malformed(child);
    if (bad) return bad;
  }
  return null;
}
