// Group commit for job transitions (delivery's settle): the transitions asked for while
// one statement is in flight go together in the next one (transitions.ts
// transitionMany), so under load many jobs share a round trip and a commit (a WAL
// flush), and a lone one goes at once. Each job is still moved on only under its own
// claim, and its caller learns only after the commit, so kill -9 loses nothing that
// was reported settled: a job whose statement did not commit is still running, and
// is claimed again after its lease (the chunk in flight is the one sent twice).
import type { Database } from "../db/client.js";
import { transition, transitionMany, type Claim, type Next } from "./transitions.js";

export interface GroupTransition {
  /** transition() without `alongside`, in a shared statement; resolves whether the claim held. */
  transition(c: Claim, next: Next): Promise<boolean>;
}

/** Jobs per statement (one CTE each). */
const MAX_BATCH = 64;

interface Waiting { claim: Claim; next: Next; resolve(held: boolean): void; reject(err: unknown): void }

export function createGroupTransition(db: Database): GroupTransition {
  let waiting: Waiting[] = [];
  let busy = false;

  async function flush(): Promise<void> {
    busy = true;
    try {
      while (waiting.length) {
        const batch = waiting.slice(0, MAX_BATCH);
        waiting = waiting.slice(batch.length);
        try {
          const held = await transitionMany(db.prisma, batch);
          batch.forEach((w, i) => w.resolve(held[i]!));
        } catch (err) {
          if (batch.length === 1) batch[0]!.reject(err);
          // One job the statement cannot take must not fail the others: each alone.
          else for (const w of batch) await transition(db.prisma, w.claim, w.next).then(w.resolve, w.reject);
        }
      }
    } finally {
      busy = false;
    }
  }

  return {
    transition(claim, next) {
      return new Promise<boolean>((resolve, reject) => {
        waiting.push({ claim, next, resolve, reject });
        if (!busy) void flush();
      });
    },
  };
}
