// In-process cache of list objects for the hot read (GET /lists/{list}). It is only
// used while this process LISTENs on mailroom_lists, so a change made by any process
// sharing the database empties the entry at its commit; changes made here empty it
// at once. A generation counter stops a read that raced a change from caching the
// old row.
import type { ListView } from "./list-settings.js";

/** What is kept per list id: the object clients see, and the row's primary key. */
export interface CachedList {
  id: number;
  view: ListView;
}

const MAX_ENTRIES = 10_000;

export class ListViewCache {
  private readonly views = new Map<string, CachedList>();
  private generation = 0;
  /** False until LISTEN is up (and after it fails): every read goes to the database. */
  live = false;

  get(listId: string): CachedList | undefined {
    return this.live ? this.views.get(listId) : undefined;
  }

  /** Call before reading the database; hand the token to set(). */
  token(): number {
    return this.generation;
  }

  set(listId: string, entry: CachedList, token: number): void {
    if (!this.live || token !== this.generation) return;
    if (this.views.size >= MAX_ENTRIES) this.views.clear();
    this.views.set(listId, entry);
  }

  /** A list id, or "*" for everything (domain changes, a reconnected LISTEN). */
  invalidate(listId: string): void {
    this.generation++;
    if (listId === "*") this.views.clear();
    else this.views.delete(listId);
  }
}
