// Opens the database: a PostgreSQL server when DATABASE_URL is set, else embedded
// PGlite persisted under $MAILROOM_VAR_DIR/db. Both give the same Prisma client plus
// the few things Prisma does not do: multi-statement scripts (migrations),
// LISTEN/NOTIFY (the queue workers' wake-ups, the list cache's invalidation across
// processes), sessions and a connection outside the pool (the maps writer's lock),
// and query(), the LMTP and socketmap hot path on connections of its own. Opened by
// main.ts (and by tests and benchmarks).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaClient } from "../generated/prisma/client.js";
import type { Logger } from "../log.js";
import { acquireDirLock, type DirLock } from "./dir-lock.js";

export { PrismaClient };
export type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

/** A connection that runs raw SQL outside Prisma (migrations, advisory locks). */
export interface RawSession {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Multi-statement script through the simple query protocol. */
  exec(sql: string): Promise<void>;
  release(): Promise<void>;
}

export interface Database {
  readonly kind: "postgres" | "pglite";
  /** Connections Prisma's pool may open (PGlite: 1, its single backend). */
  readonly poolSize: number;
  readonly prisma: PrismaClient;
  /**
   * One statement on the hot path (LMTP RCPT and ingest, socketmap lookups) without
   * Prisma's per-query overhead, on connections of its own with generic plans (write
   * it so that its plan does not depend on statistics); `name` makes it a prepared
   * statement on PostgreSQL. Rows come back as the driver gives them.
   */
  query<R = Record<string, unknown>>(name: string, sql: string, params: unknown[]): Promise<R[]>;
  /** A session of its own (a pool connection; PGlite's single backend). */
  session(): Promise<RawSession>;
  /**
   * A connection outside the pool (PGlite: its single backend), closed by release():
   * for a holder that pool users wait on (the maps writer), which must never queue behind them.
   */
  connection(): Promise<RawSession>;
  /** LISTEN on a channel. The callback gets each NOTIFY payload. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres://… or null for PGlite. */
  url: string | null;
  /** PGlite data directory; null keeps it in memory (tests). */
  dataDir?: string | null;
  log?: Logger;
  /** PostgreSQL startup options (PGOPTIONS) for the hot-path connections, which add their own. */
  pgOptions?: string | null;
  /** Prisma's pg pool size (default 20: up to 16 list or domain changes share one map write, 4 left for the rest). */
  poolSize?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts) : openPglite(opts);
}

async function openPostgres(url: string, opts: OpenOptions): Promise<Database> {
  const poolSize = opts.poolSize ?? 20;
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // query()'s hot path (LMTP RCPT lookups and ingest, one batch of each in flight,
  // and socketmap lookups) has connections of its own: mail never queues behind
  // REST transactions holding the main pool (a burst of list creations waiting for
  // the Postfix maps can hold all of it for seconds).
  const hot = new pg.Pool({ ...withGenericPlans(url, opts.pgOptions ?? null), max: HOT_POOL_SIZE, connectionTimeoutMillis: 5000 });
  // An idle client losing its server (restart) must not crash the process.
  for (const p of [pool, hot]) p.on("error", (err) => opts.log?.warn({ err: err.message }, "database connection lost"));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let listenClient: pg.Client | null = null;
  /** The connect under way, so that listen() calls racing it share one connection. */
  let connecting: Promise<void> | null = null;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | null = null;

  async function connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    client.on("error", (err) => {
      opts.log?.warn({ err: err.message }, "LISTEN connection lost; reconnecting");
      scheduleReconnect();
    });
    client.on("notification", (n) => {
      for (const cb of listeners.get(n.channel) ?? []) cb(n.payload ?? "");
    });
    await client.connect();
    for (const channel of listeners.keys()) await client.query(`LISTEN ${ident(channel)}`);
    listenClient = client;
    // A reconnect may have missed notifications: tell everyone to drop caches.
    for (const [, cbs] of listeners) for (const cb of cbs) cb("*");
  }
  function scheduleReconnect() {
    const old = listenClient;
    listenClient = null;
    old?.end().catch(() => {});
    if (closed || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connecting = connectListener().catch(() => scheduleReconnect()).finally(() => { connecting = null; });
    }, 1000);
  }

  return {
    kind: "postgres",
    poolSize,
    prisma,
    async query(name, sql, params) {
      return (await hot.query({ name, text: sql, values: params })).rows;
    },
    async session() {
      const client = await pool.connect();
      return {
        query: async (sql, params) => (await client.query(sql, params)).rows,
        exec: async (sql) => { await client.query(sql); },
        release: async () => client.release(),
      };
    },
    async connection() {
      // keepAlive: a holder of the maps lock must notice a server that went away.
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, keepAlive: true });
      client.on("error", (err) => opts.log?.warn({ err: err.message }, "database connection lost"));
      await client.connect();
      return {
        query: async (sql, params) => (await client.query(sql, params)).rows,
        exec: async (sql) => { await client.query(sql); },
        release: async () => { await client.end().catch(() => {}); },
      };
    },
    async listen(channel, onNotify) {
      let set = listeners.get(channel);
      const first = !set;
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(onNotify);
      if (connecting) await connecting; // its LISTEN loop covers every channel registered so far
      else if (!listenClient) {
        connecting = connectListener().finally(() => { connecting = null; });
        await connecting;
      } else if (first) await listenClient.query(`LISTEN ${ident(channel)}`);
      return async () => { set!.delete(onNotify); };
    },
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      await listenClient?.end().catch(() => {});
      await prisma.$disconnect();
      await pool.end().catch(() => {});
      await hot.end().catch(() => {});
    },
  };
}

async function openPglite(opts: OpenOptions): Promise<Database> {
  // Loaded only here: the embedded engine costs tens of MB that a server-backed process need not carry.
  const { PGlite } = await import("@electric-sql/pglite");
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  let lock: DirLock | null = null;
  let db: PGlite;
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    // PGlite does not stop a second process opening the same directory: we must.
    lock = acquireDirLock(join(opts.dataDir, "..", "db.lock"));
    db = await PGlite.create(opts.dataDir);
  } else {
    db = await PGlite.create();
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return {
    kind: "pglite",
    poolSize: 1,
    prisma,
    async query(_name, sql, params) {
      return (await db.query(sql, params)).rows as never[];
    },
    async session() {
      return {
        query: async (sql, params) => (await db.query(sql, params)).rows as never[],
        exec: async (sql) => { await db.exec(sql); },
        release: async () => {},
      };
    },
    async connection() {
      return { query: async (sql, params) => (await db.query(sql, params)).rows as never[], exec: async (sql) => { await db.exec(sql); }, release: async () => {} };
    },
    async listen(channel, onNotify) {
      const unsub = await db.listen(channel, onNotify);
      return async () => { await unsub(); };
    },
    async close() {
      await prisma.$disconnect();
      await db.close();
      lock?.release();
    },
  };
}

/** query()'s own pool: one lookup batch, one ingest batch and a socketmap lookup at once. */
const HOT_POOL_SIZE = 3;

/**
 * query()'s connections start with plan_cache_mode = force_generic_plan: its
 * statements are hot-path statements written for one plan, and planning them again
 * at every execution (PostgreSQL's choice for them otherwise) costs the server
 * more than running them. The setting covers unnamed statements with parameters
 * too, which is why Prisma's pool does not get it. A startup option, so no extra
 * round trip; PGOPTIONS (`env`, passed so that pg does not drop it) and options
 * already in the URL are kept.
 */
function withGenericPlans(url: string, env: string | null): pg.PoolConfig {
  const generic = "-c plan_cache_mode=force_generic_plan";
  // Most URLs carry no options; those are passed on untouched (pg parses forms,
  // such as a unix-socket host, that WHATWG URL does not).
  if (!/[?&]options=/.test(url)) return { connectionString: url, options: env ? `${env} ${generic}` : generic };
  // pg lets the URL's options win over the config's: move them into the config.
  try {
    const u = new URL(url);
    const given = u.searchParams.get("options");
    u.searchParams.delete("options");
    return { connectionString: u.toString(), options: [env, given, generic].filter(Boolean).join(" ") };
  } catch {
    return { connectionString: url }; // the URL's own options win; plans as PostgreSQL chooses
  }
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad channel name ${name}`);
  return name;
}
