// The end-to-end tests' stack: a real `mailroom serve` child on a database of its own
// (a fresh PostgreSQL database when DATABASE_URL is set, else its embedded one), an
// smtp-server sink as its MTA, and the few moves every such test makes: a REST call,
// a message in over LMTP, waiting until queues are drained.
import assert from "node:assert/strict";
import { createEmptyServerDatabase, SERVER_URL } from "./db.js";
import { LmtpClient } from "./lmtp-client.js";
import { adminRequest, startServer, type ServerProcess } from "./server-process.js";
import { startSmtpSink, type SinkMessage, type SmtpSink } from "./smtp-sink.js";
import { RawMessage } from "../../src/domain/raw-message.js";

export const subjectOf = (m: SinkMessage) => RawMessage.parse(m.raw).get("Subject") ?? "";

/** The first message the sink got for `rcpt` whose Subject matches, waiting for it to arrive. */
export async function receivedBy(sink: SmtpSink, rcpt: string, subject: RegExp, ms = 30_000): Promise<SinkMessage> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = sink.messages.find((x) => x.rcptTo.some((r) => r.toLowerCase() === rcpt) && subject.test(subjectOf(x)));
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`nothing to ${rcpt} matching ${subject}; got ${JSON.stringify(sink.messages.map((x) => [x.rcptTo, subjectOf(x)]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface E2eStack {
  server: ServerProcess;
  sink: SmtpSink;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** One message over LMTP (line ends made CRLF); asserts its 250. */
  lmtp(mailFrom: string, to: string, message: string): Promise<void>;
  /** Waits until the named queues are empty. */
  settled(queues: string[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startE2eStack(opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<E2eStack> {
  const sink = await startSmtpSink();
  let url: string | undefined;
  let dropDb: (() => Promise<void>) | null = null;
  if (SERVER_URL) {
    const d = await createEmptyServerDatabase();
    url = d.url;
    dropDb = d.drop;
  }
  let server: ServerProcess;
  try {
    server = await startServer({ env: { MAILROOM_SMTP_PORT: String(sink.port), ...opts.env, DATABASE_URL: url }, timeoutMs: opts.timeoutMs });
  } catch (err) {
    await sink.close();
    await dropDb?.();
    throw err;
  }
  const api = (method: string, path: string, body?: unknown) => adminRequest(server.httpPort, method, path, body);
  return {
    server,
    sink,
    api,
    async lmtp(mailFrom, to, message) {
      const c = await LmtpClient.connect(server.lmtpPort);
      try {
        await c.command("LHLO test");
        const r = await c.send(mailFrom, [to], message.replace(/\r?\n/g, "\r\n"));
        assert.deepEqual(r.final.map((f) => f.code), [250], `LMTP to ${to}`);
      } finally {
        await c.quit();
      }
    },
    async settled(queues, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const q = (await api("GET", "/queues")).body.items as { name: string; depth: number }[];
        if (q.filter((x) => queues.includes(x.name)).every((x) => x.depth === 0)) return;
        if (Date.now() > deadline) throw new Error(`queues not empty: ${JSON.stringify(q)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await server.stop();
      await sink.close();
      await dropDb?.();
    },
  };
}
