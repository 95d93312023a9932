// Opens the database: a PostgreSQL server when DATABASE_URL is set, else embedded
// PGlite persisted under $MAILROOM_VAR_DIR/db. Both give the same Prisma client plus
// the few things Prisma does not do: multi-statement scripts (migrations),
// LISTEN/NOTIFY (cache invalidation across processes) and a dedicated session.
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
  readonly prisma: PrismaClient;
  /**
   * One read on the hot path (LMTP RCPT) without Prisma's per-query overhead; `name`
   * makes it a prepared statement on PostgreSQL. Rows come back as the driver gives them.
   */
  query<R = Record<string, unknown>>(name: string, sql: string, params: unknown[]): Promise<R[]>;
  /** A session of its own (a pool connection; PGlite's single backend). */
  session(): Promise<RawSession>;
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
  /** pg pool size. */
  poolSize?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts) : openPglite(opts);
}

async function openPostgres(url: string, opts: OpenOptions): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its server (restart) must not crash the process.
  pool.on("error", (err) => opts.log?.warn({ err: err.message }, "database connection lost"));
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
    prisma,
    async query(name, sql, params) {
      return (await pool.query({ name, text: sql, values: params })).rows;
    },
    async session() {
      const client = await pool.connect();
      return {
        query: async (sql, params) => (await client.query(sql, params)).rows,
        exec: async (sql) => { await client.query(sql); },
        release: async () => client.release(),
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

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad channel name ${name}`);
  return name;
}
