// The LMTP listener (RFC 2033) Postfix delivers list mail to: smtp-server in LMTP
// mode, RCPT decided against the database (services/recipients), DATA stored with
// one job per distinct recipient (receive.ts), one reply per accepted RCPT. main.ts
// creates it; close() lets a transaction in flight finish before the sessions go.
import { hostname } from "node:os";
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";
import type { Services } from "../services/index.js";
import { MailroomLmtp } from "./smtp-server.js";
import type { IncomingRecipient } from "../services/incoming.js";
import { receive, type DataCallback } from "./receive.js";
import { replyError } from "./replies.js";

export interface LmtpDeps { services: Services; config: Config; log: Logger }
export interface LmtpServer { listen(host: string, port: number): Promise<number>; close(): Promise<void> }

export function createLmtpServer(deps: LmtpDeps): LmtpServer {
  const { config, log } = deps;
  const { recipients: resolver, incoming: store } = deps.services;
  // Every RCPT accepted in a transaction, in order, duplicates included. smtp-server
  // merges a repeated address into one envelope.rcptTo entry (and lets it past its
  // maxRecipients), but RFC 2033 4.2 wants a reply after DATA for each accepted
  // RCPT, and a client such as Postfix waits for every one. Keyed by the envelope,
  // which smtp-server makes anew for each transaction (after DATA, RSET, LHLO).
  const accepted = new WeakMap<SMTPServerSession["envelope"], IncomingRecipient[]>();
  const acceptedIn = (session: SMTPServerSession): IncomingRecipient[] => {
    let list = accepted.get(session.envelope);
    if (!list) accepted.set(session.envelope, (list = []));
    return list;
  };
  /** DATA being stored, by session id: close() waits for these. */
  const inFlight = new Map<string, Promise<void>>();
  let closing = false;

  const server = new MailroomLmtp({
    lmtp: true,
    banner: "mailroom",
    // The greeting's host name, looked up once: smtp-server asks os.hostname() per connection.
    name: hostname(),
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    hideENHANCEDSTATUSCODES: false,
    size: config.lmtp.maxMessageSize,
    // Both limits are ours (receive.ts, onRcptTo), so that every RCPT counts and
    // gets its own reply.
    rejectOversized: false,
    socketTimeout: config.lmtp.idleTimeoutMs,
    closeTimeout: config.lmtp.shutdownTimeoutMs,
    logger: false,
    // The client is the local MTA: its name tells nothing, and looking it up
    // delays every greeting by a DNS round trip (up to smtp-server's 1.5 s).
    disableReverseLookup: !config.lmtp.reverseDns,

    // Called back at once: smtp-server's default waits a turn of the event loop before the greeting.
    onConnect: config.lmtp.reverseDns
      ? (session: SMTPServerSession, callback: (err?: Error | null) => void) => {
        log.info({ session: session.id, client: session.clientHostname, address: session.remoteAddress }, "LMTP connection");
        callback();
      }
      : (_session: SMTPServerSession, callback: (err?: Error | null) => void) => callback(),

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const rcpts = acceptedIn(session);
      if (rcpts.length >= config.lmtp.maxRecipients) return callback(replyError("tooManyRecipients"));
      resolver.resolve(address.address).then(
        (decision) => {
          if (!decision) return callback(replyError("noSuchMailbox"));
          rcpts.push({ address: address.address, decision });
          callback();
        },
        (err: Error) => {
          log.warn({ session: session.id, err: err.message }, "recipient lookup failed: database unavailable");
          callback(replyError("databaseDown"));
        },
      );
    },

    onData(stream, session, callback: DataCallback) {
      const rcpts = acceptedIn(session);
      const work = receive({ store, log, maxMessageSize: config.lmtp.maxMessageSize }, stream, session, rcpts)
        .then(
          (replies) => callback(null, replies),
          (err: Error) => {
            // Stream errors and bugs: a temporary failure, and the session goes on.
            log.error({ session: session.id, err: err.message }, "DATA failed");
            callback(null, rcpts.map(() => replyError("internalError")));
          },
        )
        .finally(() => {
          inFlight.delete(session.id);
          // Shutting down: the transaction is answered, now let the session go.
          if (closing) setImmediate(() => server.closeSession(session.id));
        });
      inFlight.set(session.id, work);
    },
  });
  server.on("error", (err: Error) => log.warn({ err: err.message }, "LMTP connection error"));

  return {
    async listen(host, port) {
      return new Promise<number>((resolve, reject) => {
        server.server.once("error", reject);
        server.listen(port, host, () => {
          server.server.off("error", reject);
          const addr = server.server.address();
          resolve(typeof addr === "object" && addr ? addr.port : port);
        });
      });
    },
    async close() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Sessions between transactions go at once (421, the client retries later);
      // those in DATA finish storing and answering first.
      server.closeIdleSessions(new Set(inFlight.keys()));
      await Promise.race([
        Promise.allSettled([...inFlight.values()]),
        new Promise((r) => setTimeout(r, config.lmtp.shutdownTimeoutMs).unref()),
      ]);
      await closed;
    },
  };
}
