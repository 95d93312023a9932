// A leaf's body decoded: transfer encoding undone by mailsplit's decoder, then the
// charset by libmime (the same pair src/bounces/message.ts uses).
import { decode as decodeCharset } from "libmime/lib/charset.js";
import type { MimePart } from "./mime-tree.js";

export async function decodedBytes(part: MimePart): Promise<Buffer> {
  const decoder = part.node.getDecoder();
  const out: Buffer[] = [];
  decoder.on("data", (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => { decoder.on("end", resolve); decoder.on("error", reject); });
  for (const chunk of part.body) decoder.write(chunk);
  decoder.end();
  await done;
  return Buffer.concat(out);
}

export async function decodedText(part: MimePart): Promise<string> {
  return decodeCharset(await decodedBytes(part), part.node.charset || "utf-8");
}
