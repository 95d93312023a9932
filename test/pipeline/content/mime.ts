// Builders for MIME test posts (CRLF), including hostile ones: deep nesting, many
// parts, broken boundaries. Shared by the content-filter tests, the e2e test and bench/.
export const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, "\r\n"), "utf8");

const HEAD = "From: anne@example.com\nTo: test@example.com\nSubject: Test\nMessage-ID: <c-1@example.com>\nMIME-Version: 1.0\n";

export function post(contentType: string, body: string, head = HEAD): Buffer {
  return crlf(`${head}Content-Type: ${contentType}\n\n${body}`);
}

export function part(contentType: string, body: string, extra = ""): string {
  return `Content-Type: ${contentType}\n${extra}\n${body}\n`;
}

export function multipart(boundary: string, parts: string[]): string {
  return parts.map((p) => `--${boundary}\n${p}`).join("") + `--${boundary}--\n`;
}

export const exeAttachment = part('application/octet-stream; name="setup.exe"', "TVqQAAMAAAAEAAAA//8AALgAAAAA", 'Content-Disposition: attachment; filename="setup.exe"\nContent-Transfer-Encoding: base64\n');

export function withExe(head?: string): Buffer {
  return post('multipart/mixed; boundary="mix"', multipart("mix", [part("text/plain; charset=us-ascii", "See the attachment."), exeAttachment]), head);
}

export function htmlOnly(head?: string): Buffer {
  return post("text/html; charset=utf-8", "<html><body><h1>Hello</h1><p>Caf\u00e9 <b>news</b> and <a href=\"https://example.org/x\">a link</a>.</p></body></html>", head);
}

export function alternative(head?: string): Buffer {
  return post('multipart/alternative; boundary="alt"', multipart("alt", [
    part("text/plain; charset=us-ascii", "Plain version."),
    part("text/html; charset=us-ascii", "<p>HTML version.</p>"),
  ]), head);
}

/** `levels` multiparts, each inside the one before, with one text part at the bottom. */
export function deeplyNested(levels: number): Buffer {
  let s = HEAD;
  s += `Content-Type: multipart/mixed; boundary="b0"\n\n`;
  for (let i = 1; i < levels; i++) s += `--b${i - 1}\nContent-Type: multipart/mixed; boundary="b${i}"\n\n`;
  s += `--b${levels - 1}\nContent-Type: text/plain\n\nbottom\n`;
  for (let i = levels - 1; i >= 0; i--) s += `--b${i}--\n`;
  return crlf(s);
}

/** One multipart/mixed with `count` small text parts. */
export function manyParts(count: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`--many\nContent-Type: text/plain\n\npart ${i}\n`);
  return crlf(`${HEAD}Content-Type: multipart/mixed; boundary="many"\n\n${parts.join("")}--many--\n`);
}

/** A multipart whose closing boundary never comes (cut off, or a forged boundary). */
export function unterminated(): Buffer {
  return post('multipart/mixed; boundary="open"', `--open\nContent-Type: text/plain\n\nhello\n--open\n${exeAttachment}`);
}

/** A multipart whose boundary parameter is missing. */
export function noBoundary(): Buffer {
  return post("multipart/mixed", `--x\nContent-Type: text/plain\n\nhello\n--x--\n`);
}

/** A multipart whose parts use a different boundary than the header names. */
export function wrongBoundary(): Buffer {
  return post('multipart/mixed; boundary="declared"', multipart("actual", [part("text/plain", "hello"), exeAttachment]));
}
