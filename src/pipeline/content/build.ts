// Writes a filtered post (content-filter.ts) back as MIME with nodemailer's MimeNode:
// parts kept are copied byte for byte (headers and encoded body as received),
// converted text and attached messages are encoded anew, and every rebuilt multipart
// gets a fresh boundary from nodemailer (its other Content-Type parameters kept): the
// new bytes of a converted part (HTML text written as 7bit, say) may contain the old
// boundary, which would cut a part of the sender's choosing out of them. The top-level header block is the post's own; only its
// Content-* fields are replaced, as Mailman's reset_payload does.
import MimeNode from "nodemailer/lib/mime-node";
import { buildHeaderValue, parseHeaderValue } from "nodemailer/lib/mime-funcs";
import { RawMessage } from "../../domain/raw-message.js";
import type { Entity } from "./content-filter.js";
import type { MimePart } from "./mime-tree.js";

/** Headers a rebuilt part keeps from the part it came from. */
const KEPT = ["Content-Disposition", "Content-Description", "Content-ID"];
/** The fields that describe a message's content, replaced together (RFC 2045). */
const CONTENT_FIELDS = ["Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-Description", "Content-ID"];

function keepHeaders(from: MimePart, to: MimeNode, names = KEPT): void {
  for (const name of names) {
    const value = from.node.headers ? from.node.headers.getFirst(name) : "";
    if (value) to.setHeader(name, value);
  }
}

/** The multipart's Content-Type without its boundary, so nodemailer makes a new one. */
function withoutBoundary(part: MimePart): string {
  const declared = part.node.headers ? part.node.headers.getFirst("Content-Type") : "";
  if (!declared) return part.type;
  const { value, params } = parseHeaderValue(declared);
  delete params.boundary;
  return buildHeaderValue({ value: value || part.type, params });
}

async function append(parent: MimeNode, e: Entity): Promise<void> {
  switch (e.kind) {
    case "raw": {
      parent.createChild(false).setRaw(Buffer.concat([e.part.node.getHeaders(), ...e.part.body]));
      return;
    }
    case "text": {
      const node = parent.createChild("text/plain; charset=utf-8");
      keepHeaders(e.part, node); // Content-Disposition too, as Mailman keeps it (an attachment stays one)
      node.setContent(e.text.replace(/\r?\n/g, "\r\n")); // nodemailer keeps line breaks as given; mail wants CRLF
      return;
    }
    case "message": {
      const node = parent.createChild("message/rfc822");
      keepHeaders(e.part, node);
      node.setContent(await messageBytes(RawMessage.parse(e.inner.raw), e.inner.root));
      return;
    }
    case "multipart": {
      const node = parent.createChild(withoutBoundary(e.part));
      keepHeaders(e.part, node);
      for (const c of e.children) await append(node, c);
      return;
    }
  }
}

/** The entity's header fields and body: a part as received, or built under a scratch root (no Date/Message-ID). */
async function entityBytes(e: Entity): Promise<Buffer> {
  if (e.kind === "raw") return Buffer.concat([e.part.node.getHeaders(), ...e.part.body]);
  const scratch = new MimeNode("multipart/mixed");
  await append(scratch, e);
  return scratch.childNodes[0]!.build();
}

/** Replaces the message's content by the entity's, keeping every other header field as it was. */
export async function withContent(msg: RawMessage, e: Entity): Promise<RawMessage> {
  const entity = RawMessage.parse(await entityBytes(e));
  const out = msg.clone();
  for (const name of CONTENT_FIELDS) out.remove(name);
  // nodemailer writes CRLF; a post written with bare LF stays so (RawMessage keeps one line ending).
  const eol = (s: string) => (out.eol === "\n" ? s.replace(/\r\n/g, "\n") : s);
  for (const f of entity.fields) {
    if (/^content-/i.test(f.name)) out.fields.push({ name: f.name, raw: eol(f.raw) });
  }
  if (!out.has("MIME-Version")) out.append("MIME-Version", "1.0");
  let body = entity.body.toString("latin1");
  if (!body.endsWith("\n")) body += "\r\n";
  out.body = Buffer.from(eol(body), "latin1");
  return out;
}

async function messageBytes(msg: RawMessage, e: Entity): Promise<Buffer> {
  return (await withContent(msg, e)).toBuffer();
}
