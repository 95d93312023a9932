// DATA for one LMTP transaction: read the message (never past the size limit),
// refuse what is not a message at all, store it with one job per distinct
// recipient, and hand smtp-server exactly one reply per accepted RCPT, whatever
// happens (RFC 2033 4.2), duplicates included.
import type { SMTPServerDataStream, SMTPServerSession } from "smtp-server";
import type { Logger } from "../log.js";
import { makeMessageId, messageIdHash } from "../domain/message-id.js";
import type { IncomingRecipient, IncomingStore } from "../services/incoming.js";
import { lookAtMessage } from "./header-block.js";
import { queuedReply, replyError } from "./replies.js";

export type DataCallback = (err?: Error | null, message?: string | Array<string | Error>) => void;

export interface ReceiveDeps { store: IncomingStore; log: Logger; maxMessageSize: number }

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

/**
 * One job per distinct recipient: a RCPT repeated (same list, sub-address and
 * extension, whatever the case of the local part) gets its own reply but no second
 * job, so the list does not deliver the message twice.
 */
export function distinctRecipients(rcpts: IncomingRecipient[]): IncomingRecipient[] {
  const seen = new Map<string, IncomingRecipient>();
  for (const r of rcpts) {
    const d = r.decision;
    const key = `${d.listId}\0${d.subaddress ?? ""}\0${d.extension ?? ""}`;
    if (!seen.has(key)) seen.set(key, r);
  }
  return [...seen.values()];
}

/** `rcpts`: every RCPT accepted in this transaction, in order, duplicates included. The answer has one entry per RCPT. */
export async function receive(deps: ReceiveDeps, stream: SMTPServerDataStream, session: SMTPServerSession, rcpts: IncomingRecipient[]): Promise<Array<string | Error>> {
  const { log } = deps;
  const toEach = (err: Error) => rcpts.map(() => err);
  const raw = await readMessage(stream, deps.maxMessageSize);
  if (raw === null) {
    log.info({ session: session.id, size: stream.byteLength }, "message refused: over the size limit");
    return toEach(replyError("tooBig", String(deps.maxMessageSize)));
  }
  const look = lookAtMessage(raw);
  if (look.notAMessage) {
    log.info({ session: session.id, size: raw.length, reason: look.notAMessage }, "message refused: not a message");
    return toEach(replyError("notAMessage", look.notAMessage));
  }
  const recipients = distinctRecipients(rcpts);
  // Cannot happen (smtp-server refuses DATA before an accepted RCPT); if it does, a
  // temporary failure keeps the message with the client.
  if (recipients.length === 0) return toEach(replyError("internalError", "no accepted recipient"));
  const domain = recipients[0]!.decision.listAddress.split("@")[1]!;
  const messageId = look.messageId ?? makeMessageId(domain);
  const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
  try {
    const id = await deps.store.store({
      raw, mailFrom, recipients, messageId, messageIdHash: messageIdHash(messageId),
    });
    log.info({ messageId, id: String(id), size: raw.length, rcptTo: recipients.map((a) => a.address), rcpts: rcpts.length, added: !look.messageId }, "message queued");
    return rcpts.map((a) => queuedReply(id, a.address));
  } catch (err) {
    log.error({ messageId, err: (err as Error).message }, "message not stored: database failed");
    return toEach(replyError("databaseDown"));
  }
}
