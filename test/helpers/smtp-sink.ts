// An SMTP server for tests and benchmarks that stands in for the MTA mailroom sends
// to: records every envelope and message it accepts, and can answer 4xx/5xx for
// chosen recipients (at RCPT TO) or refuse a whole transaction, on demand.
// Used by delivery tests, end-to-end tests and bench/fanout.ts.
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";

export interface SinkMessage {
  /** Envelope sender ("" for the null sender). */
  mailFrom: string;
  /** Recipients accepted at RCPT TO, as sent. */
  rcptTo: string[];
  /** The message bytes (empty when the sink was started with store: false). */
  raw: Buffer;
  /** Date.now() when the message was accepted. */
  at: number;
}

export interface SinkReply {
  code: number;
  message: string;
}

/** Decides the RCPT TO reply: null accepts, a SinkReply refuses with that code. */
export type RcptRule = (rcpt: string, mailFrom: string) => SinkReply | null;

export interface SinkOptions {
  /** 0 (default) picks a free port; a fixed one lets a test restart the sink. */
  port?: number;
  host?: string;
  /** Keep message bytes (default true); benchmarks turn it off. */
  store?: boolean;
  /** Wait this long before answering each message's DATA (a slow MTA: keeps a fan-out in flight). */
  dataDelayMs?: number;
}

export interface SmtpSink {
  port: number;
  /** Every accepted message in arrival order. */
  messages: SinkMessage[];
  /** Recipients accepted so far, over all messages (counting repeats). */
  accepted: number;
  /** Refusal rules tried in order for each RCPT TO (see failNext / failAlways). */
  rules: RcptRule[];
  /** Refuse `address` with `code` for its next `times` RCPTs, then accept it. */
  failNext(address: string, code: number, message: string, times?: number): void;
  /** Refuse `address` with `code` every time. */
  failAlways(address: string, code: number, message: string): void;
  /** Accepted copies per lower-cased recipient address. */
  counts(): Map<string, number>;
  /** Resolves once `accepted` reaches `n`; rejects after `ms`. */
  waitForAccepted(n: number, ms?: number): Promise<void>;
  /** Forget recorded messages and rules. */
  reset(): void;
  close(): Promise<void>;
}

export async function startSmtpSink(opts: SinkOptions = {}): Promise<SmtpSink> {
  const store = opts.store ?? true;
  const messages: SinkMessage[] = [];
  const rules: RcptRule[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const perAddress = new Map<string, number>();
  // Sessions whose client went away: a message not yet answered there was never taken.
  const closed = new Set<string>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    disableReverseLookup: true,
    logger: false,
    maxClients: 1000,
    closeTimeout: 1000,
    // A bulk chunk is up to maxRecipientsPerTransaction RCPTs; do not cap it here.
    size: 100 * 1024 * 1024,
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void) {
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
      for (const rule of rules) {
        const reply = rule(address.address, from);
        if (reply) return cb(Object.assign(new Error(reply.message), { responseCode: reply.code }));
      }
      cb();
    },
    onClose(session: SMTPServerSession) {
      closed.add(session.id);
      if (closed.size > 10_000) closed.clear();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => { if (store) chunks.push(c); });
      const finish = () => {
        if (closed.has(session.id)) return cb(new Error("client gone"));
        const rcptTo = session.envelope.rcptTo.map((r) => r.address);
        const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        messages.push({ mailFrom, rcptTo, raw: store ? Buffer.concat(chunks) : Buffer.alloc(0), at: Date.now() });
        for (const r of rcptTo) {
          const k = r.toLowerCase();
          perAddress.set(k, (perAddress.get(k) ?? 0) + 1);
        }
        sink.accepted += rcptTo.length;
        for (const w of [...waiters]) if (sink.accepted >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
        cb(null, "Queued");
      };
      stream.on("end", () => (opts.dataDelayMs ? setTimeout(finish, opts.dataDelayMs) : finish()));
    },
  });
  server.on("error", () => {}); // a client dropping its connection is not a test failure

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      const addr = server.server.address();
      resolve(typeof addr === "object" && addr ? addr.port : 0);
    });
  });

  const sink: SmtpSink = {
    port,
    messages,
    accepted: 0,
    rules,
    failNext(address, code, message, times = 1) {
      const key = address.toLowerCase();
      let left = times;
      rules.push((rcpt) => (rcpt.toLowerCase() === key && left > 0 ? (left--, { code, message }) : null));
    },
    failAlways(address, code, message) {
      const key = address.toLowerCase();
      rules.push((rcpt) => (rcpt.toLowerCase() === key ? { code, message } : null));
    },
    counts: () => new Map(perAddress),
    waitForAccepted(n, ms = 30_000) {
      if (sink.accepted >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`sink: ${sink.accepted} of ${n} recipients after ${ms} ms`));
        }, ms);
        const w = { n, resolve: () => { clearTimeout(timer); resolve(); } };
        waiters.push(w);
      });
    },
    reset() {
      messages.length = 0;
      rules.length = 0;
      perAddress.clear();
      sink.accepted = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return sink;
}
