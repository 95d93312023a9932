// DATA for one LMTP transaction: read the message (never past the size limit),
// refuse what is not a message at all, store it with one job per recipient, and
// hand smtp-server exactly one reply per accepted recipient, whatever happens.
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from "smtp-server";
import type { Logger } from "../log.js";
import { makeMessageId, messageIdHash } from "../domain/message-id.js";
import type { IncomingRecipient, IncomingStore } from "../services/incoming.js";
import type { RecipientDecision } from "../services/recipients.js";
import { lookAtMessage } from "./header-block.js";
import { queuedReply, replyError } from "./replies.js";

/** What RCPT decided, per accepted address object of the session's envelope. */
export type Decisions = WeakMap<SMTPServerAddress, RecipientDecision>;

export type DataCallback = (err?: Error | null, message?: string | Array<string | Error>) => void;

export interface ReceiveDeps { store: IncomingStore; log: Logger; maxMessageSize: number; decisions: Decisions }

/** Reads the DATA stream; resolves with the bytes, or null when over the limit (the rest is drained, not kept). */
export function readMessage(stream: SMTPServerDataStream, maxMessageSize: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxMessageSize) chunks.push(chunk);
      else if (chunks.length) chunks.length = 0;
    });
    stream.once("error", reject);
    stream.once("end", () => resolve(size > maxMessageSize || stream.sizeExceeded ? null : Buffer.concat(chunks, size)));
  });
}

export async function receive(deps: ReceiveDeps, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<Error | Array<string | Error> | null> {
  const { log } = deps;
  const raw = await readMessage(stream, deps.maxMessageSize);
  // smtp-server itself answers 552 5.3.4 once per recipient (rejectOversized).
  if (raw === null) {
    log.info({ session: session.id, size: stream.byteLength }, "message refused: over the size limit");
    return null;
  }
  const look = lookAtMessage(raw);
  if (look.notAMessage) {
    log.info({ session: session.id, size: raw.length, reason: look.notAMessage }, "message refused: not a message");
    return replyError("notAMessage", look.notAMessage);
  }
  const rcpts = session.envelope.rcptTo;
  const accepted: IncomingRecipient[] = [];
  for (const r of rcpts) {
    const decision = deps.decisions.get(r);
    if (decision) accepted.push({ address: r.address, decision });
  }
  // Cannot happen (RCPT records a decision for every address it accepts); if it
  // does, a temporary failure keeps the message with the client.
  if (accepted.length !== rcpts.length) return replyError("internalError", "recipient decision missing");
  const domain = accepted[0]!.decision.listAddress.split("@")[1]!;
  const messageId = look.messageId ?? makeMessageId(domain);
  const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
  try {
    const id = await deps.store.store({
      raw, mailFrom, recipients: accepted, messageId, messageIdHash: messageIdHash(messageId),
    });
    log.info({ messageId, id: String(id), size: raw.length, rcptTo: accepted.map((a) => a.address), added: !look.messageId }, "message queued");
    return accepted.map((a) => queuedReply(id, a.address));
  } catch (err) {
    log.error({ messageId, err: (err as Error).message }, "message not stored: database failed");
    return replyError("databaseDown");
  }
}
