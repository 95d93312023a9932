// A MIME leaf's body as mailsplit hands it over: the raw chunks of one node. Undoes
// the transfer encoding with the node's own decoder (mailsplit's), and the charset
// with libmime. Shared by the bounce parser and content filtering.
import type { MimeNode } from "@zone-eu/mailsplit";
import { decode as decodeCharset } from "libmime/lib/charset.js";

/** The body's bytes with its Content-Transfer-Encoding undone. */
export async function decodedBytes(node: MimeNode, chunks: readonly Buffer[]): Promise<Buffer> {
  const decoder = node.getDecoder();
  const out: Buffer[] = [];
  decoder.on("data", (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => { decoder.on("end", resolve); decoder.on("error", reject); });
  for (const chunk of chunks) decoder.write(chunk);
  decoder.end();
  await done;
  return Buffer.concat(out);
}

/** The body as text, in the node's charset (UTF-8 when it names none). */
export async function decodedText(node: MimeNode, chunks: readonly Buffer[]): Promise<string> {
  return decodeCharset(await decodedBytes(node, chunks), node.charset || "utf-8");
}
