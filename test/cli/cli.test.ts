import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { childDatabaseUrl, SERVER_URL } from "../helpers/db.js";
import { startServer } from "../helpers/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function mailroom(args: string[], env: Record<string, string | undefined> = {}) {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  return spawnSync(process.execPath, ["bin/mailroom.js", ...args], { cwd: ROOT, env: merged, encoding: "utf8" });
}

test("--help on every command, exit 0", () => {
  for (const args of [["--help"], ["serve", "--help"], ["migrate", "--help"], ["aliases", "--help"]]) {
    const r = mailroom(args);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: mailroom/);
  }
});

test("a wrong command or setting exits non-zero with a one-line reason on stderr", () => {
  const unknown = mailroom(["frobnicate"]);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr.trim().split("\n").length, 1);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);

  const bad = mailroom(["migrate"], { MAILROOM_HTTP_PORT: "http" });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^mailroom: configuration: MAILROOM_HTTP_PORT must be a whole number/);
  assert.equal(bad.stderr.trim().split("\n").length, 1);
});

test("migrate applies the migrations and exits 0, twice", async (t) => {
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-cli-"));
  const url = await childDatabaseUrl(t);
  const env = { MAILROOM_VAR_DIR: varDir, DATABASE_URL: url };
  const first = mailroom(["migrate"], env);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /"migrations applied"/);
  const second = mailroom(["migrate"], env);
  assert.equal(second.status, 0, second.stderr);
  assert.doesNotMatch(second.stdout, /"migrations applied"/);
});

test("serve starts with defaults, generates an admin password file of mode 0600 and logs its path, not the password", async (t) => {
  const url = await childDatabaseUrl(t);
  // As `npm start` on a machine where Postfix is installed but has no main.cf: postmap
  // cannot run there, so it must default to off rather than stop the server.
  const noPostfixConfig = mkdtempSync(join(tmpdir(), "mailroom-nopostfix-"));
  const server = await startServer({ env: {
    MAILROOM_ADMIN_PASSWORD: undefined, DATABASE_URL: url,
    MAILROOM_POSTMAP: undefined, MAILROOM_POSTFIX_RELOAD: undefined, MAIL_CONFIG: noPostfixConfig,
  } });
  t.after(() => server.stop());
  const path = join(server.varDir, "admin-password");
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const line = server.logs.find((l) => l.msg === "admin password generated");
  assert.equal(line?.path, path);
  const { readFileSync } = await import("node:fs");
  const password = readFileSync(path, "utf8").trim();
  assert.ok(password.length >= 20);
  assert.ok(!server.logs.some((l) => JSON.stringify(l).includes(password)));

  if (!SERVER_URL) {
    // The embedded database belongs to one process: a second one is refused with a clear reason.
    const second = mailroom(["migrate"], { MAILROOM_VAR_DIR: server.varDir, DATABASE_URL: undefined });
    assert.equal(second.status, 1);
    assert.match(second.stderr, /embedded database is in use by process \d+/);
  }
});

test("the listening lines are logged even at MAILROOM_LOG_LEVEL=warn", async (t) => {
  const url = await childDatabaseUrl(t);
  // startServer waits for both "listening" lines and fails when they never come.
  const server = await startServer({ env: { MAILROOM_LOG_LEVEL: "warn", DATABASE_URL: url } });
  t.after(() => server.stop());
  assert.ok(server.httpPort > 0 && server.lmtpPort > 0);
  assert.ok(!server.logs.some((l) => l.msg === "admin password generated" || l.msg === "migrations applied"));
});
