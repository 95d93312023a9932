// Several byte strings as ONE bytea parameter, for statements that take a batch's
// messages: node-postgres sends a lone Buffer parameter as binary, but hex-encodes
// the Buffers of an array parameter (bytea[]) into one string of twice their size,
// built synchronously (a 40 MB post: an 80 MB string, ~0.4 s of the event loop).
// The statement slices the parts back out with
// `substring(<blob> from <offset> + 1 for <length>)` (bytea substring is 1-based),
// its offsets and lengths int[] parameters, so its text does not depend on the batch.

export interface PackedBytes {
  blob: Buffer;
  /** Where each part starts in `blob` (0-based); 0 for a missing part. */
  offsets: number[];
  /** Each part's length; null for a missing part. */
  lengths: (number | null)[];
}

export function packBytes(parts: readonly (Uint8Array | null | undefined)[]): PackedBytes {
  const offsets: number[] = [];
  const lengths: (number | null)[] = [];
  const present: Uint8Array[] = [];
  let at = 0;
  for (const part of parts) {
    offsets.push(part ? at : 0);
    lengths.push(part ? part.length : null);
    if (part) { present.push(part); at += part.length; }
  }
  return { blob: Buffer.concat(present, at), offsets, lengths };
}
