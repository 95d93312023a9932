// Opens the database: a PostgreSQL server when DATABASE_URL is set, else the
// embedded one, a PostgreSQL cluster of mailroom's own under $MAILROOM_VAR_DIR/db
// (embedded.ts) opened the same way on its unix socket. Gives the Prisma client plus
// the few things Prisma does not do: multi-statement scripts (migrations),
// LISTEN/NOTIFY (the queue workers' wake-ups, the list cache's invalidation across
// processes), sessions and a connection outside the pool (the maps writer's lock),
// query(), the LMTP and socketmap hot path on connections of its own, and statement(),
// one REST statement past Prisma on its pool (the single member add). Opened by
// main.ts (and by tests and benchmarks).
import { dirname, join } from "node:path";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";
import type { Logger } from "../log.js";
import { acquireDirLock } from "./dir-lock.js";
import { makeVarDir, startCluster, type Cluster } from "./embedded.js";

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
  /** Connections Prisma's pool may open. */
  readonly poolSize: number;
  readonly prisma: PrismaClient;
  /**
   * One statement on the hot path (LMTP RCPT and ingest, socketmap lookups) without
   * Prisma's per-query overhead, on connections of its own with generic plans (write
   * it so that its plan does not depend on statistics); `name` makes it a prepared
   * statement on PostgreSQL. Rows come back as the driver gives them.
   */
  query<R = Record<string, unknown>>(name: string, sql: string, params: unknown[]): Promise<R[]>;
  /**
   * One statement on the main pool (Prisma's) without Prisma's per-query overhead,
   * for a REST call that is one statement (the single member add): not on query()'s
   * connections, which are kept for mail. `name` makes it a prepared statement on
   * each connection. Rows come back as the driver gives them.
   */
  statement<R = Record<string, unknown>>(name: string, sql: string, params: unknown[]): Promise<R[]>;
  /**
   * One statement of the workers' hot path (claims, the list stage's finish and its
   * reads of members and bans, delivery's settles), as query() but on connections of its own
   * (JOB_POOL_SIZE), so that neither path waits for the other. A prepared statement is
   * planned once per connection: Prisma's unnamed statements were planned at every
   * execution, which cost the server more than running them (docs/throughput.md).
   */
  jobQuery<R = Record<string, unknown>>(name: string, sql: string, params: unknown[]): Promise<R[]>;
  /** A session of its own (a pool connection). */
  session(): Promise<RawSession>;
  /**
   * A connection outside the pool, closed by release():
   * for a holder that pool users wait on (the maps writer), which must never queue behind them.
   */
  connection(): Promise<RawSession>;
  /** LISTEN on a channel. The callback gets each NOTIFY payload. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres://… or null for the embedded database. */
  url: string | null;
  /** The embedded database's data directory ($MAILROOM_VAR_DIR/db): its socket goes in ../run, its lock is ../db.lock. */
  dataDir?: string | null;
  log?: Logger;
  /** PostgreSQL startup options (PGOPTIONS) for the hot-path connections, which add their own. */
  pgOptions?: string | null;
  /**
   * Prisma's pg pool size (default on a server 20: up to 16 list or domain changes
   * share one map write, 4 left for the rest; embedded EMBEDDED_POOL_SIZE).
   */
  poolSize?: number;
  /** The embedded server exited while open (not by close()): what serve does then. */
  onServerExit?: (why: string) => void;
}

/**
 * The embedded cluster serves one mailroom process: a main pool of 4 connections
 * rather than 20 (beside the hot path's 3 and the workers' 3). A backend that ran the
 * job queue's big batched statements keeps 10–15 MB that glibc's malloc does not give
 * back (its heap, fragmented), so each connection costs the set-up's peak memory: 4 instead of 6 took about 25 MB off the
 * peak PSS at the same rates (docs/embedded-database.md). Delivery holds no
 * connection while it sends, so the pool does not grow with MAILROOM_DELIVERY_CONCURRENCY.
 * With 4, one map-changing transaction at a time waits for a map write
 * (services/transaction.ts leaves 4 to everything else; 1 at least).
 */
const EMBEDDED_POOL_SIZE = 4;
/**
 * query()'s pool, as on a server (HOT_POOL_SIZE): one RCPT lookup batch, one ingest
 * batch and a socketmap lookup at once, none waiting for another. max_connections
 * below counts it.
 */
const EMBEDDED_HOT_POOL_SIZE = 3;
/** Over the pools: the LISTEN connection, the maps writer's, and a few for an operator's psql. */
const EMBEDDED_SPARE_CONNECTIONS = 5;

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts, HOT_POOL_SIZE);
  if (!opts.dataDir) throw new Error("the embedded database needs a data directory");
  return openEmbedded(opts.dataDir, opts);
}

/** Embedded data directories open in this process. */
const openHere = new Set<string>();

/** Starts the cluster under dataDir, opens it as a server, and stops it on close(). */
async function openEmbedded(dataDir: string, opts: OpenOptions): Promise<Database> {
  const varDir = dirname(dataDir);
  makeVarDir(varDir);
  // One mailroom per directory: a second would take the first one's server for an
  // orphan and stop it. The lock file holds the pid, so this process checks itself.
  if (openHere.has(dataDir)) throw new Error(`the embedded database ${dataDir} is already open in this process`);
  const lock = acquireDirLock(join(varDir, "db.lock"));
  openHere.add(dataDir);
  const release = () => { openHere.delete(dataDir); lock.release(); };
  const poolSize = opts.poolSize ?? EMBEDDED_POOL_SIZE;
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      dataDir, socketDir: join(varDir, "run"), log: opts.log,
      maxConnections: poolSize + EMBEDDED_HOT_POOL_SIZE + JOB_POOL_SIZE + EMBEDDED_SPARE_CONNECTIONS,
    });
  } catch (err) {
    release();
    throw err;
  }
  let closing = false;
  void cluster.exited.then(({ code, signal }) => {
    if (closing) return;
    const why = `the embedded PostgreSQL exited (${signal ?? `code ${code}`})`;
    opts.log?.error({ code, signal }, "embedded PostgreSQL exited");
    opts.onServerExit?.(why);
  });
  let db: Database;
  try {
    db = await openPostgres(cluster.url, { ...opts, poolSize }, EMBEDDED_HOT_POOL_SIZE);
  } catch (err) {
    closing = true;
    await cluster.stop();
    release();
    throw err;
  }
  return {
    ...db,
    async close() {
      closing = true;
      // The server stops after mailroom's pools are closed: no work of mailroom's is in flight then.
      try { await db.close(); } finally {
        await cluster.stop();
        release();
      }
    },
  };
}

async function openPostgres(url: string, opts: OpenOptions, hotPoolSize: number): Promise<Database> {
  const poolSize = opts.poolSize ?? 20;
  let closed = false;
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
  // query()'s hot path (LMTP RCPT lookups and ingest, one batch of each in flight,
  // and socketmap lookups) has connections of its own: mail never queues behind
  // REST transactions holding the main pool (a burst of list creations waiting for
  // the Postfix maps can hold all of it for seconds).
  const hot = new pg.Pool({ ...withGenericPlans(url, opts.pgOptions ?? null), max: hotPoolSize, connectionTimeoutMillis: 5000 });
  // The workers' statements are written for index access, and a generic plan is kept
  // for the connection's life: one made while a table was small (a fresh database, the
  // first minute of a burst, before autovacuum's ANALYZE) read every job by a
  // sequential scan long after the table had grown (bench/traffic.ts: 3,700 job rows
  // read per post). Without sequential scans their plans do not depend on that size.
  const jobOptions = [opts.pgOptions, "-c enable_seqscan=off"].filter(Boolean).join(" ");
  const jobs = new pg.Pool({ ...withGenericPlans(url, jobOptions), max: JOB_POOL_SIZE, connectionTimeoutMillis: 5000 });
  // An idle client losing its server (restart) must not crash the process.
  // (After close(), a connection still ending is no news.)
  for (const p of [pool, hot, jobs]) p.on("error", (err) => { if (!closed) opts.log?.warn({ err: err.message }, "database connection lost"); });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let listenClient: pg.Client | null = null;
  /** The connect under way, so that listen() calls racing it share one connection. */
  let connecting: Promise<void> | null = null;
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
    poolSize,
    prisma,
    async query(name, sql, params) {
      return (await hot.query({ name, text: sql, values: params })).rows;
    },
    async statement(name, sql, params) {
      return (await pool.query({ name, text: sql, values: params })).rows;
    },
    async jobQuery(name, sql, params) {
      return (await jobs.query({ name, text: sql, values: params })).rows;
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
      await jobs.end().catch(() => {});
    },
  };
}

/**
 * jobQuery()'s pool: the claims of the busy queues (list, out), a list's finish and a
 * settle at once; more wait in the pool's line, each for one statement's time.
 */
const JOB_POOL_SIZE = 3;

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
