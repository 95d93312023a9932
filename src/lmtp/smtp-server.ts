// smtp-server's SMTPServer with the things mailroom needs that it lacks: the
// connection made in the turn it is accepted (no wait, no random bytes per session
// id) and its greeting at once (no early-talker wait), a reply text that already starts with
// an RFC 3463 code keeps that code (the library would otherwise derive one from
// the basic code: 550 is always 5.1.1, while "not a message" is 5.6.0), replies of
// one event-loop turn sent in one write, and closing chosen sessions during
// shutdown. Each of these is a method of one connection or server class, made
// once, so a connection costs no more than smtp-server's own.
import { randomBytes } from "node:crypto";
import type net from "node:net";
import type tls from "node:tls";
import { SMTPServer } from "smtp-server";
import { HAS_ENHANCED_CODE } from "./replies.js";

type Connection = SMTPServer["connections"] extends Set<infer C> ? C : never;
type ConnectionOptions = Parameters<SMTPServer["connect"]>[1];
type ConnectionClass = new (server: SMTPServer, socket: net.Socket | tls.TLSSocket, options?: ConnectionOptions) => Connection;

// smtp-server does not export its connection class, and the only way to change how
// a connection starts is to make the connection: load the module smtp-server itself
// imports (same file, so the same class) from next to its entry point.
const { SMTPConnection } = (await import(new URL("./smtp-connection.js", import.meta.resolve("smtp-server")).href)) as
  { SMTPConnection: ConnectionClass };

class LmtpConnection extends SMTPConnection {
  /** A cork is on the socket until the end of this event-loop turn. */
  corked = false;

  /**
   * smtp-server's init() waits 100 ms before the greeting to catch clients that
   * talk too soon (a spam-bot test), on every connection. mailroom's client is the
   * local MTA, which opens a connection per delivery when it has no backlog: the
   * greeting goes out as soon as the socket is set up (and, when configured, the
   * reverse lookup is done).
   */
  override init(): void {
    this._setListeners(() => {
      const max = this._server.options.maxClients;
      if (max && this._server.connections.size > max) {
        return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
      }
      this.connectionReady();
    });
  }

  /**
   * Replies made in one turn of the event loop leave in one write: for a client that
   * pipelines (Postfix's LMTP client sends MAIL, RCPT and DATA together) the RCPT
   * answers and the 354 share a packet, and a write on a loopback socket costs more
   * CPU than everything else the server does for a reply.
   */
  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (!this.corked) {
      this.corked = true;
      this._socket.cork();
      setImmediate(uncork, this);
    }
    if (typeof data === "string" && HAS_ENHANCED_CODE.test(data)) return super.send(code, data, false);
    return super.send(code, data, context);
  }

  /**
   * QUIT: the 221, then the socket is closed at once. smtp-server ends its side and
   * waits for the client's; a client that closes as soon as it has the 221 (smtp-source
   * does) has reset the socket by then, so ending it fails (ENOTCONN) and the next read
   * is an ECONNRESET error, made with its stack trace: three system calls and an Error
   * on every connection of a client that opens one per delivery.
   */
  handler_QUIT(_command: Buffer, callback: () => void): void {
    this.send(221, "Bye");
    const socket = this._socket;
    this.corked = false;
    socket.uncork();
    // Written already (the usual case on a local socket): nothing is left to lose.
    if (socket.writableLength === 0) socket.destroy();
    this.close();
    callback();
  }
}

function uncork(conn: LmtpConnection): void {
  conn.corked = false;
  conn._socket.uncork();
}

/**
 * Session ids: unique in this process by the counter, and between processes (the
 * logs of two servers on one database) by a random prefix drawn once, where
 * smtp-server draws 10 random bytes and turns them into a BigInt per connection.
 */
const SESSION_PREFIX = randomBytes(5).readUIntBE(0, 5).toString(32).padStart(8, "0");
let sessions = 0;

export class MailroomLmtp extends SMTPServer {
  /**
   * smtp-server's step between accept and connect(): with no PROXY protocol (the
   * local MTA connects directly) it only makes the session id, and then waits a turn
   * of the event loop (setImmediate) before the connection is made. Here the
   * connection is made at once, with a cheaper id.
   */
  override _handleProxy(socket: net.Socket, callback: Parameters<SMTPServer["_handleProxy"]>[1]): void {
    if (this.options.useProxy || this.options.ignoredHosts?.length) return super._handleProxy(socket, callback);
    callback(null, { id: SESSION_PREFIX + (++sessions).toString(32).padStart(8, "0") });
  }

  // A connection's events go to the server, through listeners bound once.
  private readonly connectionError = (err: Error) => this._onError(err);
  private readonly connectionConnect = (data: Parameters<SMTPServer["_onClientConnect"]>[0]) => this._onClientConnect(data);

  /** smtp-server's connect(), with mailroom's connection class. */
  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: ConnectionOptions): void {
    const conn = new LmtpConnection(this, socket, socketOptions);
    this.connections.add(conn);
    conn.on("error", this.connectionError);
    conn.on("connect", this.connectionConnect);
    conn.init();
  }

  /** 421 and close for one session (after its last reply went out). */
  closeSession(sessionId: string): void {
    for (const conn of this.connections) {
      if (conn.session.id === sessionId) goodbye(conn);
    }
  }

  /** 421 and close for every session not in `busy` (shutdown). */
  closeIdleSessions(busy: Set<string>): void {
    for (const conn of this.connections) {
      if (!busy.has(conn.session.id)) goodbye(conn);
    }
  }
}

function goodbye(conn: Connection): void {
  conn.send(421, "4.3.2 Server shutting down, try again later");
  conn.close();
}
