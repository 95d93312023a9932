// The rows the Postfix maps are built from, and the deltas a transaction hands the
// group writer (group-writer.ts): what the transaction's touched lists and domains
// look like to it, before it commits. Used by maps.ts and group-writer.ts.
import type { Tx } from "../db/client.js";
import type { ListRow } from "./map-text.js";
import type { MapsChange } from "./updater.js";

export interface MapRow extends ListRow {
  listId: string;
  domainId: number;
}

/**
 * One transaction's change: every row of `lists` and of `domains` as the
 * transaction sees them. The caller holds those keys (the list row, or the
 * domain row locked so no list of it can change meanwhile) until it ends, so
 * its view of them is the truth once it commits.
 */
export interface MapsDelta {
  lists: string[];
  domains: number[];
  rows: MapRow[];
}

const COLUMNS = `l."listId", l."listName", l."mailHost", l."domainId", d."aliasDomain"
  FROM "MailingList" l JOIN "Domain" d ON d.id = l."domainId"`;

/** Every list, in no order (sortRows orders them). */
export const ALL_ROWS_SQL = `SELECT ${COLUMNS}`;

/** What `tx` sees of the lists and domains it changed. */
export async function readDelta(tx: Tx, change: MapsChange): Promise<MapsDelta> {
  const lists = change.lists ?? [];
  const domains = change.domains ?? [];
  const rows = lists.length || domains.length
    ? await tx.$queryRawUnsafe<MapRow[]>(`SELECT ${COLUMNS} WHERE l."listId" = ANY($1::text[]) OR l."domainId" = ANY($2::int[])`, lists, domains)
    : [];
  return { lists, domains, rows };
}

/** The committed rows with each delta laid over them (deltas touch disjoint keys). */
export function applyDeltas(committed: MapRow[], deltas: MapsDelta[]): MapRow[] {
  const lists = new Set<string>();
  const domains = new Set<number>();
  const added: MapRow[] = [];
  for (const d of deltas) {
    for (const l of d.lists) lists.add(l);
    for (const id of d.domains) domains.add(id);
    added.push(...d.rows);
  }
  if (!lists.size && !domains.size) return committed;
  for (const r of added) lists.add(r.listId);
  return committed.filter((r) => !lists.has(r.listId) && !domains.has(r.domainId)).concat(added);
}

/**
 * Ordered as buildMaps needs them: by (aliasDomain ?? mailHost, listName). Sorted
 * here rather than in SQL so every writer, whatever its source, produces the same text.
 */
export function sortRows(rows: MapRow[]): MapRow[] {
  const keyed = rows.map((r) => ({ k: `${r.aliasDomain ?? r.mailHost}\u0000${r.listName}`, r }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.r);
}
