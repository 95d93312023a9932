// End to end with a real Exim 4 (Debian's exim4-daemon-light, unpacked by
// scripts/install-mtas.sh) in front of the real `mailroom serve` with
// MAILROOM_MTA_INCOMING=exim: Exim's routers read the lsearch files mailroom writes
// (docs/exim.md, whose configuration block is what runs here). Unknown list address
// → 550 at RCPT; after POST /lists the next message reaches mailroom over LMTP
// (sub-addresses and VERP too); members' copies leave through the same Exim to a
// sink; after DELETE, 550 again; an alias domain is rewritten as with Postfix.
// Prints how long after the REST call the first message reached mailroom.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type ServerProcess } from "../helpers/server-process.js";
import { freePort } from "../helpers/postfix.js";
import { startExim, type Exim } from "../helpers/exim.js";
import { createEmptyServerDatabase, SERVER_URL } from "../helpers/db.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";
import { aliasScenario, listScenario, type Stack } from "../helpers/mta-scenario.js";

let server: ServerProcess;
let exim: Exim;
let sink: SmtpSink;
let varDir: string;
let dropDb: (() => Promise<void>) | null = null;
let stack: Stack;

const re = (s: string) => s.replace(/[.+]/g, "\\$&");

before(async () => {
  sink = await startSmtpSink();
  // Exim's receiving processes (user Debian-exim) read the files: the var dir must be searchable.
  varDir = mkdtempSync(join(tmpdir(), "mailroom-e2e-exim-"));
  chmodSync(varDir, 0o755);
  let databaseUrl: string | undefined;
  if (SERVER_URL) {
    const created = await createEmptyServerDatabase();
    databaseUrl = created.url;
    dropDb = created.drop;
  }
  const lmtpPort = await freePort();
  const smtpPort = await freePort();
  server = await startServer({
    varDir,
    // A loaded shared machine can take a while to start it.
    timeoutMs: 120_000,
    env: {
      DATABASE_URL: databaseUrl,
      MAILROOM_MTA_INCOMING: "exim",
      MAILROOM_LMTP_PORT: String(lmtpPort),
      // Outgoing copies go back out through Exim, which routes them to the sink.
      MAILROOM_SMTP_PORT: String(smtpPort),
    },
  });
  exim = await startExim({ dataDir: join(varDir, "data"), lmtpPort, sinkPort: sink.port, smtpPort });
  stack = {
    server, sink,
    mta: {
      name: "Exim mainlog",
      smtpPort,
      diagnostics: () => exim.log(),
      async deliveredToMailroom(rcpt) {
        await exim.waitForLog(new RegExp(`=> ${re(rcpt)} .*R=mailroom T=mailroom_lmtp H=127\\.0\\.0\\.1 \\[127\\.0\\.0\\.1\\] .*C="250`));
      },
      async relayedToSink(rcpt) {
        await exim.waitForLog(new RegExp(`=> ${re(rcpt)} R=outside T=outside_smtp H=127\\.0\\.0\\.1 \\[127\\.0\\.0\\.1\\] .*C="250`));
      },
    },
  };
});

after(async () => {
  await exim?.stop();
  await server?.stop();
  await sink?.close();
  await dropDb?.();
  rmSync(varDir, { recursive: true, force: true });
});

test("exim: refused before the list exists, delivered over LMTP into mailroom after, copies out through Exim, refused after DELETE", async () => {
  const ms = await listScenario(stack, "example.com", "exim");
  console.log(`# exim e2e: first message reached mailroom ${ms.newList} ms after POST /lists returned (${ms.newDomain} ms for the first list of a new domain)`);
});

test("exim alias domain: list@mailHost is redirected to list@aliasDomain and delivered over LMTP", async () => {
  const ms = await aliasScenario(stack, "aliased.example", "lists.invalid", (local) => `${local}@lists.invalid`);
  // The log keeps the address it was sent to: "=> team@lists.invalid <team@aliased.example> R=mailroom".
  await exim.waitForLog(/=> team@lists\.invalid <team@aliased\.example> R=mailroom T=mailroom_lmtp/);
  assert.ok(ms >= 0);
  console.log(`# exim e2e (alias domain): first message reached mailroom ${ms} ms after POST /lists returned`);
});
