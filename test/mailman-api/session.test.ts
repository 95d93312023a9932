// Debian's python3-mailmanclient drives a Postorius-style session (session.py, a
// unittest suite) against a running mailroom on this test's database; the python
// runner's summary is printed so CI shows it. The same script passes against GNU
// Mailman 3.3.8 (docs/mailman-api.md says how to run it there).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { childDatabaseUrl } from "../helpers/db.js";
import { startServer, TEST_ADMIN_PASSWORD } from "../helpers/server-process.js";
import { startSmtpSink } from "../helpers/smtp-sink.js";

const SCRIPT = fileURLToPath(new URL("./session.py", import.meta.url));

test("mailmanclient's Postorius-style session passes against mailroom", { timeout: 300_000 }, async (t) => {
  const sink = await startSmtpSink({ store: false });
  t.after(() => sink.close());
  const server = await startServer({
    env: { DATABASE_URL: await childDatabaseUrl(t), MAILROOM_SMTP_HOST: "127.0.0.1", MAILROOM_SMTP_PORT: String(sink.port) },
    timeoutMs: 120_000, // a fresh embedded database migrates first; the CPU is shared
  });
  t.after(() => server.stop());

  // Debian's python3-mailmanclient is installed for Debian's interpreter, not any other python3 on PATH.
  const child = spawn(existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3", ["-u", SCRIPT], {
    env: {
      ...process.env,
      MAILMAN_REST_URL: `http://127.0.0.1:${server.httpPort}/3.1`,
      MAILMAN_REST_USER: "admin",
      MAILMAN_REST_PASSWORD: TEST_ADMIN_PASSWORD,
      MAILMAN_LMTP_HOST: "127.0.0.1",
      MAILMAN_LMTP_PORT: String(server.lmtpPort),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject); // python3 missing: the test fails, never skips
    child.once("exit", resolve);
  });
  // unittest's own report (one line per step and the summary), for CI's log.
  process.stdout.write(output);
  assert.equal(code, 0, `session.py failed:\n${output.slice(-4000)}`);
});
