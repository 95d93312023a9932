// openDatabase on PostgreSQL: the hot-path connections (Database.query) run with
// generic plans whatever form DATABASE_URL takes, and keep the URL's own options.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { openDatabase } from "../../src/db/client.js";
import { adminUrl, SERVER_URL } from "../helpers/db.js";

const SOCKET_DIR = "/var/run/postgresql";

async function settings(url: string): Promise<{ hot: Record<string, string>; main: Record<string, string> }> {
  const db = await openDatabase({ url });
  try {
    const sql = "SELECT current_setting('plan_cache_mode') AS plans, current_setting('statement_timeout') AS timeout";
    const [hot] = await db.query<Record<string, string>>("test_settings", sql, []);
    const [main] = await db.prisma.$queryRawUnsafe<Record<string, string>[]>(sql);
    return { hot: hot!, main: main! };
  } finally {
    await db.close();
  }
}

test("hot-path connections use generic plans; Prisma's keep PostgreSQL's choice", async () => {
  const { hot, main } = await settings(await adminUrl());
  assert.equal(hot.plans, "force_generic_plan");
  assert.equal(main.plans, "auto");
});

test("options already in DATABASE_URL are kept beside the generic plans", async () => {
  const u = new URL(await adminUrl());
  u.searchParams.set("options", "-c statement_timeout=12345");
  const { hot, main } = await settings(u.toString());
  assert.equal(hot.plans, "force_generic_plan");
  assert.equal(hot.timeout, "12345ms");
  assert.equal(main.timeout, "12345ms");
});

test("a unix-socket DATABASE_URL (host=/var/run/postgresql) opens", { skip: (!SERVER_URL || !existsSync(`${SOCKET_DIR}/.s.PGSQL.5432`)) && "needs PostgreSQL's socket" }, async () => {
  // WHATWG URL cannot parse this form; pg can, and so must we.
  const u = new URL(SERVER_URL!);
  const url = `postgres://${u.username || "postgres"}@/${u.pathname.slice(1) || "postgres"}?host=${SOCKET_DIR}`;
  const { hot } = await settings(url);
  assert.equal(hot.plans, "force_generic_plan");
});
