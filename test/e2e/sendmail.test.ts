// End to end with a real Sendmail 8.17 (Debian's sendmail-bin, unpacked by
// scripts/install-mtas.sh) in front of the real `mailroom serve` with
// MAILROOM_MTA_INCOMING=sendmail: mailroom writes the access map, the mailertable
// (rebuilt with the real makemap inside the REST call) and the relay-domains class
// (a SIGHUP after a new domain); the sendmail.cf is built from docs/sendmail.md's
// .mc. Unknown list address → 550 at RCPT; after POST /lists the next message
// reaches mailroom over LMTP (sub-addresses and VERP too); members' copies leave
// through the same Sendmail to a sink; after DELETE, 550 again. Prints how long
// after the REST call the first message reached mailroom.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type ServerProcess } from "../helpers/server-process.js";
import { freePort } from "../helpers/postfix.js";
import { configureSendmail, type Sendmail } from "../helpers/sendmail.js";
import { createEmptyServerDatabase, SERVER_URL } from "../helpers/db.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";
import { aliasScenario, listScenario, type Stack } from "../helpers/mta-scenario.js";

let server: ServerProcess;
let sendmail: Sendmail;
let sink: SmtpSink;
let varDir: string;
let dropDb: (() => Promise<void>) | null = null;
let stack: Stack;

before(async () => {
  sink = await startSmtpSink();
  varDir = mkdtempSync(join(tmpdir(), "mailroom-e2e-sm-"));
  chmodSync(varDir, 0o755);
  let databaseUrl: string | undefined;
  if (SERVER_URL) {
    const created = await createEmptyServerDatabase();
    databaseUrl = created.url;
    dropDb = created.drop;
  }
  const lmtpPort = await freePort();
  const setup = await configureSendmail({ dataDir: join(varDir, "data"), lmtpPort, sinkPort: sink.port });
  try {
    server = await startServer({
      varDir,
      // A loaded shared machine can take a while to start it.
      timeoutMs: 120_000,
      env: {
        DATABASE_URL: databaseUrl,
        MAILROOM_MTA_INCOMING: "sendmail",
        MAILROOM_LMTP_PORT: String(lmtpPort),
        MAILROOM_MAKEMAP: setup.makemap,
        MAILROOM_SENDMAIL_RELOAD: setup.reload,
        // Outgoing copies go back out through Sendmail, which relays them to the sink.
        MAILROOM_SMTP_PORT: String(setup.smtpPort),
      },
    });
  } catch (err) {
    setup.discard();
    throw err;
  }
  // mailroom first: its maps exist (empty) before Sendmail opens them.
  sendmail = await setup.start();
  stack = {
    server, sink,
    mta: { name: "Sendmail queue", smtpPort: setup.smtpPort, diagnostics: () => lastQueue },
  };
});

let lastQueue = "";

after(async () => {
  await sendmail?.stop();
  await server?.stop();
  await sink?.close();
  await dropDb?.();
  rmSync(varDir, { recursive: true, force: true });
});

/** The members' copy passed through Sendmail: its Received: header names it. */
function throughSendmail(member: string) {
  const copy = sink.messages.find((m) => m.rcptTo.includes(member));
  assert.ok(copy, `a copy for ${member}`);
  assert.match(copy.raw.toString("latin1"), /^Received: from .*\r?\n\s+by mta\.localhost \(8\.17[^)]*\) with ESMTP/m);
}

test("sendmail: refused before the list exists, delivered over LMTP into mailroom after, copies out through Sendmail, refused after DELETE", async () => {
  stack.mta.relayedToSink = async (member) => throughSendmail(member);
  try {
    const ms = await listScenario(stack, "example.com", "sendmail");
    console.log(`# sendmail e2e: first message reached mailroom ${ms.newList} ms after POST /lists returned (${ms.newDomain} ms for the first list of a new domain, SIGHUP included)`);
  } catch (err) {
    lastQueue = await sendmail.queue();
    throw err;
  }
});

test("sendmail alias domain: list@mailHost is delivered as it is; mailroom knows the list under both names", async () => {
  const ms = await aliasScenario(stack, "aliased.example", "lists.invalid", (local) => `${local}@aliased.example`);
  console.log(`# sendmail e2e (alias domain): first message reached mailroom ${ms} ms after POST /lists returned`);
});
