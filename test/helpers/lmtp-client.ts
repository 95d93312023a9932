// A small LMTP client (RFC 2033) for tests and the benchmark: sends commands and
// raw bytes over a real TCP connection and reads replies, including the one reply
// per accepted recipient after DATA, which most clients hide. Also runs the
// stdlib python3 smtplib.LMTP client (lmtp_client.py) for seed-doctest fidelity.
import net from "node:net";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface Reply {
  code: number;
  /** Enhanced status code (RFC 3463) of the last line, if any. */
  enhanced: string | null;
  /** Text of the last line after code and enhanced code. */
  text: string;
  lines: string[];
}

export interface TransactionResult {
  mail: Reply;
  rcpt: Reply[];
  /** The reply to DATA itself (354, or 503/554 when no recipient was accepted). */
  data: Reply;
  /** One reply per accepted recipient after the final dot. */
  final: Reply[];
}

export class LmtpClient {
  private buffer = "";
  private lines: string[] = [];
  private waiters: (() => void)[] = [];
  private closedFlag = false;
  greeting!: Reply;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buffer += d;
      let i: number;
      while ((i = this.buffer.indexOf("\r\n")) >= 0) {
        this.lines.push(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 2);
      }
      this.wake();
    });
    socket.on("close", () => { this.closedFlag = true; this.wake(); });
    socket.on("error", () => { /* surfaces as close */ });
  }

  static async connect(port: number, host = "127.0.0.1"): Promise<LmtpClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(s));
      s.once("error", reject);
    });
    const c = new LmtpClient(socket);
    c.greeting = await c.reply();
    return c;
  }

  get closed(): boolean { return this.closedFlag; }

  private wake() { for (const w of this.waiters.splice(0)) w(); }

  private async line(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closedFlag) throw new Error("connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a reply");
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
    return this.lines.shift()!;
  }

  /** Reads one (possibly multi-line) reply. */
  async reply(timeoutMs = 30_000): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line(timeoutMs);
      lines.push(l);
      if (l[3] !== "-") break;
    }
    const last = lines.at(-1)!;
    const m = /^(\d{3})[ -]?(?:([245]\.\d{1,3}\.\d{1,3}) )?(.*)$/.exec(last);
    return { code: m ? Number(m[1]) : 0, enhanced: m?.[2] ?? null, text: m?.[3] ?? last, lines };
  }

  write(data: string | Buffer): void { this.socket.write(data); }

  async command(line: string): Promise<Reply> {
    this.write(line + "\r\n");
    return this.reply();
  }

  /** One transaction, pipelined (RFC 2920) as Postfix does: MAIL, RCPTs and DATA in one write. */
  async send(from: string, to: string[], message: string | Buffer): Promise<TransactionResult> {
    this.write(`MAIL FROM:<${from}>\r\n` + to.map((t) => `RCPT TO:<${t}>\r\n`).join("") + "DATA\r\n");
    const mail = await this.reply();
    const rcpt: Reply[] = [];
    for (let i = 0; i < to.length; i++) rcpt.push(await this.reply());
    const data = await this.reply();
    const final: Reply[] = [];
    if (data.code === 354) {
      this.write(Buffer.concat([dotStuff(message), Buffer.from(".\r\n")]));
      const n = rcpt.filter((r) => r.code === 250).length;
      for (let i = 0; i < n; i++) final.push(await this.reply(120_000));
    }
    return { mail, rcpt, data, final };
  }

  async quit(): Promise<void> {
    if (!this.closedFlag) {
      try { await this.command("QUIT"); } catch { /* already gone */ }
    }
    this.socket.destroy();
  }
}

/** CRLF line endings, a final CRLF, and leading dots doubled (RFC 5321 section 4.5.2). */
export function dotStuff(message: string | Buffer): Buffer {
  let text = typeof message === "string" ? Buffer.from(message, "utf8").toString("latin1") : message.toString("latin1");
  text = text.replace(/\r?\n/g, "\r\n");
  if (!text.endsWith("\r\n")) text += "\r\n";
  text = text.replace(/^\./gm, "..");
  return Buffer.from(text, "latin1");
}

const PY_CLIENT = fileURLToPath(new URL("./lmtp_client.py", import.meta.url));

/** python3's smtplib.LMTP driven step by step (one JSON line per call), like the seed doctest. */
export class PythonLmtp {
  private results: ((line: string) => void)[] = [];
  private constructor(private child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on("line", (l) => this.results.shift()?.(l));
  }

  static async start(port: number): Promise<{ client: PythonLmtp; greeting: [number, string] }> {
    const child = spawn("python3", [PY_CLIENT, "127.0.0.1", String(port)]);
    const client = new PythonLmtp(child);
    const greeting = await client.call({ op: "greeting" }) as [number, string];
    return { client, greeting };
  }

  call(req: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.results.push((l) => { try { resolve(JSON.parse(l)); } catch (e) { reject(e); } });
      this.child.stdin.write(JSON.stringify(req) + "\n");
    });
  }

  lhlo(name: string) { return this.call({ op: "lhlo", name }) as Promise<[number, string]>; }

  /** {refused} like smtplib's return value, or {error, code, message} for the exception raised. */
  sendmail(from: string, to: string[], message: string) {
    return this.call({ op: "sendmail", from, to, message }) as Promise<
      { refused: Record<string, [number, string]> } | { error: string; code: number | null; message: string; recipients?: Record<string, [number, string]> }>;
  }

  /** MAIL, each RCPT, DATA with smtplib's own calls, one getreply() per further accepted RCPT, then NOOP. */
  transaction(from: string, to: string[], message: string) {
    return this.call({ op: "transaction", from, to, message }) as Promise<
      { rcpt: [number, string][]; final: [number, string][]; noop: [number, string] }>;
  }

  async close(): Promise<void> {
    await this.call({ op: "quit" });
    this.child.stdin.end();
  }
}
