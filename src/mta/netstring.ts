// Netstrings (`<length>:<bytes>,`), the framing of Postfix's socketmap protocol
// (socketmap_table(5)). Used by socketmap.ts and its tests.

export function encodeNetstring(s: string): Buffer {
  const body = Buffer.from(s, "utf8");
  return Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(",")]);
}

export class NetstringError extends Error {}

/**
 * Incremental decoder: push() bytes as they arrive, get back every complete
 * netstring. Throws NetstringError on bad framing or an over-long request.
 */
export class NetstringDecoder {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxLength = 100_000) {}

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: string[] = [];
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) {
        if (this.buf.length > 10) throw new NetstringError("length prefix too long");
        return out;
      }
      const lenText = this.buf.subarray(0, colon).toString("latin1");
      if (!/^\d{1,9}$/.test(lenText)) throw new NetstringError("bad length prefix");
      const len = Number(lenText);
      if (len > this.maxLength) throw new NetstringError("netstring too long");
      const end = colon + 1 + len;
      if (this.buf.length < end + 1) return out;
      if (this.buf[end] !== 0x2c) throw new NetstringError("missing trailing comma");
      out.push(this.buf.subarray(colon + 1, end).toString("utf8"));
      this.buf = this.buf.subarray(end + 1);
    }
  }
}
