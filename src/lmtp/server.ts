// The LMTP listener (RFC 2033) Postfix delivers list mail to: smtp-server in LMTP
// mode, RCPT decided against the database (services/recipients), DATA stored with
// one job per recipient (receive.ts), one reply per recipient. main.ts creates it;
// close() lets a transaction in flight finish before the sessions go.
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";
import type { Services } from "../services/index.js";
import { MailroomLmtp } from "./smtp-server.js";
import { receive, type DataCallback, type Decisions } from "./receive.js";
import { replyError } from "./replies.js";

export interface LmtpDeps { services: Services; config: Config; log: Logger }
export interface LmtpServer { listen(host: string, port: number): Promise<number>; close(): Promise<void> }

export function createLmtpServer(deps: LmtpDeps): LmtpServer {
  const { config, log } = deps;
  const { recipients: resolver, incoming: store } = deps.services;
  const decisions: Decisions = new WeakMap();
  /** DATA being stored, by session id: close() waits for these. */
  const inFlight = new Map<string, Promise<void>>();
  let closing = false;

  const server = new MailroomLmtp({
    lmtp: true,
    banner: "mailroom",
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    hideENHANCEDSTATUSCODES: false,
    size: config.lmtp.maxMessageSize,
    rejectOversized: true,
    maxRecipients: config.lmtp.maxRecipients,
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
      resolver.resolve(address.address).then(
        (decision) => {
          if (!decision) return callback(replyError("noSuchMailbox"));
          decisions.set(address, decision);
          callback();
        },
        (err: Error) => {
          log.warn({ session: session.id, err: err.message }, "recipient lookup failed: database unavailable");
          callback(replyError("databaseDown"));
        },
      );
    },

    onData(stream, session, callback: DataCallback) {
      const work = receive({ store, log, maxMessageSize: config.lmtp.maxMessageSize, decisions }, stream, session)
        .then(
          (result) => {
            if (result instanceof Error) callback(result);
            else if (result) callback(null, result);
            else callback(null);
          },
          (err: Error) => {
            // Stream errors and bugs: a temporary failure, and the session goes on.
            log.error({ session: session.id, err: err.message }, "DATA failed");
            callback(replyError("internalError"));
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
