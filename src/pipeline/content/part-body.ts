// A leaf's body decoded (src/domain/mime-body.ts): transfer encoding, then charset.
import { decodedBytes as bytesOf, decodedText as textOf } from "../../domain/mime-body.js";
import type { MimePart } from "./mime-tree.js";

export const decodedBytes = (part: MimePart): Promise<Buffer> => bytesOf(part.node, part.body);
export const decodedText = (part: MimePart): Promise<string> => textOf(part.node, part.body);
