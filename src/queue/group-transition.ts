// Group commit for job transitions (delivery's settle): the transitions asked for while
// one statement is in flight go together in the next one (transitions.ts
// transitionMany), so under load many jobs share a round trip and a commit (a WAL
// flush), and a lone one goes at once. Each job is still moved on only under its own
// claim, and its caller learns only after the commit, so kill -9 loses nothing that
// was reported settled: a job whose statement did not commit is still running, and
// is claimed again after its lease (the chunk in flight is the one sent twice).
import type { Database } from "../db/client.js";
import { groupCommit } from "../domain/group-commit.js";
import { transition, transitionMany, type Claim, type Next } from "./transitions.js";

export interface GroupTransition {
  /** transition() without `alongside`, in a shared statement; resolves whether the claim held. */
  transition(c: Claim, next: Next): Promise<boolean>;
}

/** Jobs per statement (one CTE each). */
const MAX_BATCH = 64;

export function createGroupTransition(db: Database): GroupTransition {
  const run = groupCommit<{ claim: Claim; next: Next }, boolean>({
    take: (waiting) => Math.min(waiting.length, MAX_BATCH),
    runBatch: (batch) => transitionMany(db, batch),
    // One job the statement cannot take must not fail the others: each alone.
    runOne: (w) => transition(db.prisma, w.claim, w.next),
  });
  return { transition: (claim, next) => run({ claim, next }) };
}
