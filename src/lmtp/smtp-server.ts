// smtp-server's SMTPServer with the things mailroom needs that it lacks: a
// reply text that already starts with an RFC 3463 code keeps that code (the
// library would otherwise derive one from the basic code: 550 is always 5.1.1,
// while "not a message" is 5.6.0), replies of one event-loop turn sent in one
// write, and closing chosen sessions during shutdown.
import type net from "node:net";
import type tls from "node:tls";
import { SMTPServer } from "smtp-server";
import { HAS_ENHANCED_CODE } from "./replies.js";

type Connection = SMTPServer["connections"] extends Set<infer C> ? C : never;

export class MailroomLmtp extends SMTPServer {
  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: Parameters<SMTPServer["connect"]>[1]): void {
    super.connect(socket, socketOptions);
    // connect() adds the new connection last to the (insertion-ordered) Set.
    const conn = [...this.connections].at(-1);
    if (conn) patchSend(conn);
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

function patchSend(conn: Connection): void {
  const send = conn.send.bind(conn);
  // Replies made in one turn of the event loop leave in one write: for a client
  // that pipelines (Postfix's LMTP client sends MAIL, RCPT and DATA together) the
  // RCPT answers and the 354 share a packet, and a write on a loopback socket
  // costs more CPU than everything else the server does for a reply.
  const socket = (conn as unknown as { _socket?: net.Socket })._socket;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket!.uncork();
  };
  conn.send = (code, data, context) => {
    if (socket && !corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    if (typeof data === "string" && HAS_ENHANCED_CODE.test(data)) return send(code, data, false);
    return send(code, data, context);
  };
}
