// A bounce as the format table (formats.ts) reads it: the top-level headers and every
// leaf MIME part in document order, transfer- and charset-decoded, the parts of a
// returned message/rfc822 included (as flufl.bounce's body_line_iterator walks them).
// Split by mailsplit (the MIME splitter under mailparser), so one well-kept library
// decides where parts begin and end. Called by parse.ts.
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Splitter } from "@zone-eu/mailsplit";
import type { MimeNode, SplitterChunk } from "@zone-eu/mailsplit";
import libmime from "libmime";
import { decodedBytes, decodedText } from "../domain/mime-body.js";

export interface BouncePart {
  /** Lower-cased media type; text/plain when the part has none (RFC 2045 §5.2). */
  type: string;
  /** Content-Description, lower-cased (Postfix labels its parts "notification", "delivery report"). */
  description: string;
  /** Nesting: 0 for the bounce's own parts, 1 inside a returned message, … */
  depth: number;
  text: string;
  /** The text's first lines, each cut short: what the pattern rows read (bounce texts are short). */
  lines: string[];
}

export interface BounceMessage {
  /** First value of a top-level header, unfolded; "" when absent. */
  header(name: string): string;
  /** Every value of a top-level header. */
  headers(name: string): string[];
  /** Top-level media type (multipart/report, text/plain, …). */
  type: string;
  parts: BouncePart[];
}

/** Bounces are small; a part beyond this is cut (nothing we look for is that far in). */
const MAX_PART_BYTES = 512 * 1024;
/** Lines kept per part for the pattern rows, and characters per line (an address line is far shorter). */
const MAX_LINES = 5000;
const MAX_LINE = 1000;
/** A returned message inside a returned message is still read; deeper nesting is not. */
const MAX_DEPTH = 3;

interface Leaf { node: MimeNode; depth: number; chunks: Buffer[]; size: number }

function depthOf(node: MimeNode): number {
  let depth = 0;
  for (let p = node.parentNode; p; p = p.parentNode) if (p.rfc822) depth++;
  return depth;
}

async function decodeBody(leaf: Leaf, charset?: string): Promise<string> {
  if (charset === "binary") return (await decodedBytes(leaf.node, leaf.chunks)).toString("binary");
  return decodedText(leaf.node, leaf.chunks);
}

function headerValues(node: MimeNode | null, name: string): string[] {
  if (!node || !node.headers) return [];
  return node.headers.get(name).map((line) => {
    const value = line.slice(line.indexOf(":") + 1).replace(/\r?\n[ \t]+/g, " ").trim();
    try { return libmime.decodeWords(value); } catch { return value; }
  });
}

export async function readBounceMessage(raw: Buffer, baseDepth = 0): Promise<BounceMessage> {
  let root: MimeNode | null = null;
  const leaves: Leaf[] = [];
  let current: Leaf | null = null;
  const sink = new Writable({
    objectMode: true,
    write(chunk: SplitterChunk, _enc, cb) {
      if (chunk.type === "node") {
        const node = chunk as MimeNode;
        if (!root) root = node;
        current = null;
        // An attached message/rfc822 that mailsplit does not open itself arrives as a leaf.
        if (!node.multipart && depthOf(node) <= MAX_DEPTH) {
          current = { node, depth: depthOf(node), chunks: [], size: 0 };
          leaves.push(current);
        }
      } else if (chunk.type === "body" && current && current.size < MAX_PART_BYTES) {
        current.chunks.push(chunk.value);
        current.size += chunk.value.length;
      }
      cb();
    },
  });
  await pipeline(Readable.from([raw]), new Splitter({ maxHeadSize: 256 * 1024 }), sink);
  const parts: BouncePart[] = [];
  for (const leaf of leaves) {
    const type = leaf.node.contentType || "text/plain";
    if (leaf.node.rfc822) {
      const depth = baseDepth + leaf.depth + 1;
      if (leaf.size > 0 && depth <= MAX_DEPTH) {
        const inner = await readBounceMessage(Buffer.from(await decodeBody(leaf, "binary"), "binary"), depth);
        parts.push(...inner.parts);
      }
      continue;
    }
    if (!type.startsWith("text/") && !type.startsWith("message/")) continue;
    const text = (await decodeBody(leaf)).replace(/\r\n?/g, "\n");
    parts.push({
      type,
      description: (headerValues(leaf.node, "content-description")[0] ?? "").toLowerCase(),
      depth: baseDepth + leaf.depth,
      text,
      // Looking further only gives hostile input more to chew on.
      lines: text.split("\n", MAX_LINES).map((l) => l.slice(0, MAX_LINE)),
    });
  }
  const top: MimeNode | null = root;
  return {
    header: (name) => headerValues(top, name)[0] ?? "",
    headers: (name) => headerValues(top, name),
    type: (top as MimeNode | null)?.contentType || "text/plain",
    parts,
  };
}
