// Sends one chunk's message to the chunk's pending recipients and reports what became
// of each (by index): bulk = one transaction per up to maxRecipients addresses with the
// list's -bounces sender; VERP = one transaction per member with a VERP sender and the
// member's own copy. Nothing is recorded here; settle.ts does that. Called by handler.ts.
import type { Mailer } from "./smtp-transport.js";
import { MtaUnavailable } from "./smtp-transport.js";

export interface Outcome {
  sent: number[];
  /** Refused by the MTA: [index, code, reply]. */
  refused: [number, number, string][];
  /** Not sent because the MTA was unreachable: [index, reason]. */
  unreachable: [number, string][];
  /** Not tried because the process is stopping. */
  unsent: number[];
}

export interface BulkSend {
  mode: "bulk";
  from: string;
  raw: Buffer;
  maxRecipients: number;
}

export interface VerpSend {
  mode: "verp";
  /** Envelope sender and message for recipient i. */
  envelopeFor(i: number): { from: string; raw: Buffer };
  /** Member copies in flight at once (the pool queues beyond its connections). */
  parallel: number;
}

export async function sendChunk(mailer: Mailer, rcpt: string[], pending: number[], how: BulkSend | VerpSend, signal: AbortSignal): Promise<Outcome> {
  const out: Outcome = { sent: [], refused: [], unreachable: [], unsent: [] };
  // After the first "MTA unavailable" the rest of the chunk is not tried (each try would
  // wait out its own connect timeout): it is unreachable for the same reason.
  const state: SendState = { down: null };
  if (how.mode === "bulk") {
    for (let start = 0; start < pending.length; start += how.maxRecipients) {
      const batch = pending.slice(start, start + how.maxRecipients);
      if (signal.aborted) { out.unsent.push(...batch); continue; }
      if (state.down !== null) { for (const i of batch) out.unreachable.push([i, state.down]); continue; }
      await sendOne(mailer, how.from, batch.map((i) => rcpt[i]!), how.raw, batch, out, state);
    }
    return out;
  }
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const i = pending[next++]!;
      if (signal.aborted) { out.unsent.push(i); continue; }
      if (state.down !== null) { out.unreachable.push([i, state.down]); continue; }
      const { from, raw } = how.envelopeFor(i);
      await sendOne(mailer, from, [rcpt[i]!], raw, [i], out, state);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(how.parallel, pending.length)) }, worker));
  return out;
}

interface SendState { down: string | null }

async function sendOne(mailer: Mailer, from: string, to: string[], raw: Buffer, idx: number[], out: Outcome, state: SendState): Promise<void> {
  try {
    const res = await mailer.send(from, to, raw);
    const refusedBy = new Map(res.refused.map((r) => [r.rcpt.toLowerCase(), r]));
    for (let k = 0; k < idx.length; k++) {
      const r = refusedBy.get(to[k]!.toLowerCase());
      if (r) out.refused.push([idx[k]!, r.code, r.reply]);
      else out.sent.push(idx[k]!);
    }
  } catch (err) {
    if (!(err instanceof MtaUnavailable)) throw err;
    state.down ??= err.message;
    for (const i of idx) out.unreachable.push([i, err.message]);
  }
}
