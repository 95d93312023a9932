// End to end with a real Postfix in front of the real `mailroom serve`: mail for a
// list that does not exist is refused at RCPT (550); once the list is created over
// REST, Postfix hands mail for it to mailroom over LMTP, and the members' copies
// go back out through Postfix to their MX (a sink). Once with the generated
// hash: maps (+ postfix reload), once with the socketmap tables; and an alias
// domain (Mailman's alias_domain) through the hash: maps: list@mailHost is
// rewritten by postfix_vmap to list@aliasDomain and relayed to mailroom. Prints how
// long after the REST call the first message reached mailroom (figures, no assertion).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { adminRequest, startServer, type ServerProcess } from "../helpers/server-process.js";
import { configurePostfix, startPostfix, freePort, type Postfix } from "../helpers/postfix.js";
import { createEmptyServerDatabase, SERVER_URL } from "../helpers/db.js";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.js";
import { waitFor } from "../helpers/wait.js";

let server: ServerProcess;
let files: Postfix;
let live: Postfix;
let sink: SmtpSink;
let varDir: string;
let dropDb: (() => Promise<void>) | null = null;
const ALIASED_HOST = "aliased.example";
const ALIAS_DOMAIN = "lists.invalid";

before(async () => {
  sink = await startSmtpSink();
  // Postfix's daemons (user postfix) read the maps: the var dir must be searchable.
  varDir = mkdtempSync(join(tmpdir(), "mailroom-e2e-pf-"));
  chmodSync(varDir, 0o755);
  const data = join(varDir, "data");
  const lmtpPort = await freePort();
  const socketmapPort = await freePort();
  const sm = `socketmap:inet:127.0.0.1:${socketmapPort}`;
  // mailroom first: Postfix will not start on a missing hash: map.
  // The files instance's config dir is only known once it exists, so the reload
  // command names it through a path we choose now.
  let databaseUrl: string | undefined;
  if (SERVER_URL) {
    const created = await createEmptyServerDatabase();
    databaseUrl = created.url;
    dropDb = created.drop;
  }
  const filesSetup = await configurePostfix({
    relayPort: sink.port,
    mainCf: `
relay_domains = hash:${data}/postfix_domains
transport_maps = hash:${data}/postfix_lmtp
relay_recipient_maps = hash:${data}/postfix_lmtp
virtual_alias_maps = hash:${data}/postfix_vmap
recipient_delimiter = +
owner_request_special = no
unknown_local_recipient_reject_code = 550
# The alias-domain test's mail host, kept a virtual alias domain (docs/postfix.md).
virtual_alias_domains = ${ALIASED_HOST}
`,
  });
  try {
    server = await startServer({
      varDir,
      env: {
        DATABASE_URL: databaseUrl,
        MAILROOM_LMTP_PORT: String(lmtpPort),
        // Outgoing copies go back through Postfix (the files instance), which relays them to the sink.
        MAILROOM_SMTP_PORT: String(filesSetup.smtpPort),
        MAILROOM_POSTMAP: "postmap",
        MAILROOM_POSTFIX_CONFIG_DIR: filesSetup.configDir,
        MAILROOM_POSTFIX_RELOAD: "postfix reload",
        MAILROOM_SOCKETMAP: `inet:127.0.0.1:${socketmapPort}`,
      },
    });
  } catch (err) {
    filesSetup.discard();
    throw err;
  }
  files = await filesSetup.start();
  live = await startPostfix({
    relayPort: sink.port,
    mainCf: `
relay_domains = ${sm}:domain
transport_maps = ${sm}:transport
relay_recipient_maps = ${sm}:recipient
virtual_alias_maps = ${sm}:virtual
recipient_delimiter = +
owner_request_special = no
`,
  });
});

after(async () => {
  await Promise.allSettled([files?.stop(), live?.stop()]);
  await server?.stop();
  await sink?.close();
  await dropDb?.();
  rmSync(varDir, { recursive: true, force: true });
});

async function rest(method: string, path: string, body?: unknown) {
  const res = await adminRequest(server.httpPort, method, path, body);
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Sends one message as an outside client (from 127.0.0.2, not in mynetworks); returns the RCPT refusal if any. */
async function send(pf: Postfix, to: string, subject: string): Promise<{ code: number; response: string } | null> {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port: pf.smtpPort, ignoreTLS: true, localAddress: "127.0.0.2", name: "outside.test" });
  try {
    await transport.sendMail({ from: "anne@outside.test", to, subject, text: "hello\n" });
    return null;
  } catch (err) {
    const e = err as { responseCode?: number; response?: string };
    if (!e.responseCode) throw err;
    return { code: e.responseCode, response: e.response ?? "" };
  } finally {
    transport.close();
  }
}

/** The sink's copy for `rcpt` whose Subject contains `subject`, waiting for it. */
function sentTo(rcpt: string, subject: string) {
  const copy = async () => sink.messages.find((x) => x.rcptTo.includes(rcpt) && x.raw.toString("latin1").includes(subject));
  return waitFor(`a copy for ${rcpt} with subject ${subject}`, copy).catch((err: Error) => {
    throw new Error(`${err.message}; maillog:\n${files.log().slice(-3000)}`);
  });
}

function queued(rcpt: string) {
  return server.waitForLog((l) => l.msg === "message queued" && Array.isArray(l.rcptTo) && l.rcptTo.includes(rcpt), 30_000);
}

/** The scenario both set-ups share; returns ms from the REST answer to mailroom's "message queued". */
async function scenario(pf: Postfix, domain: string, label: string): Promise<number> {
  await rest("POST", "/domains", { mailHost: domain });
  await rest("POST", "/lists", { address: `other@${domain}` });
  // The domain is now a relay domain, but mylist is nobody: 550 at RCPT.
  const refused = await send(pf, `mylist@${domain}`, `${label}-before`);
  assert.ok(refused, "mail for a list that does not exist must be refused");
  assert.equal(refused.code, 550, refused.response);
  assert.match(refused.response, /5\.1\.1/);
  // A domain with no lists is not a relay domain at all.
  const relay = await send(pf, "x@unknown.example", `${label}-relay`);
  assert.equal(relay?.code, 554);

  await rest("POST", "/lists", { address: `mylist@${domain}` });
  const created = Date.now();
  const subject = `${label}-after-${created}`;
  assert.equal(await send(pf, `mylist@${domain}`, subject), null, "accepted at RCPT once the list exists");
  const line = await queued(`mylist@${domain}`).catch((err: Error) => {
    throw new Error(`${err.message}\nmaillog:\n${pf.log().slice(-3000)}\nmailroom:\n${server.logs.slice(-8).map((l) => JSON.stringify(l)).join("\n")}`);
  });
  const ms = (line.time as number) - created;
  assert.deepEqual(line.rcptTo, [`mylist@${domain}`]);
  await pf.waitForLog(new RegExp(`to=<mylist@${domain.replace(/\./g, "\\.")}>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+, .*status=sent \\(250`));
  assert.equal(sink.messages.filter((m) => m.rcptTo.includes(`mylist@${domain}`)).length, 0, "misrouted to the relay host");
  // That first post was a nonmember's (held). Once anne is a member her post goes
  // out: mailroom hands the copies to the files instance over SMTP, and that
  // Postfix relays them to the members' MX (the sink).
  const list = `mylist.${domain}`;
  const member = `bob@members-${label}.test`;
  await rest("POST", `/lists/${list}/members`, { address: "anne@outside.test" });
  await rest("POST", `/lists/${list}/members`, { address: member });
  assert.equal(await send(pf, `mylist@${domain}`, `${label}-post`), null);
  const copy = await sentTo(member, `${label}-post`);
  assert.equal(copy.mailFrom, `mylist-bounces@${domain}`);
  assert.match(copy.raw.toString("latin1"), new RegExp(`^List-Id: .*<${list.replace(/\./g, "\\.")}>`, "mi"));
  await files.waitForLog(new RegExp(`to=<${member.replace(/\./g, "\\.")}>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${sink.port}, .*status=sent \\(250`));
  // Sub-addresses with +extensions too (VERP bounces).
  assert.equal(await send(pf, `mylist-bounces+bob=example.net@${domain}`, `${label}-verp`), null);
  return ms;
}

test("hash: maps + postfix reload: refused before the list exists, delivered over LMTP into mailroom after", async () => {
  const ms = await scenario(files, "example.com", "files");
  console.log(`# postfix e2e (files + reload): first message reached mailroom ${ms} ms after POST /lists returned`);
});

test("socketmap tables: the same, answered live from the database", async () => {
  const ms = await scenario(live, "example.org", "socketmap");
  console.log(`# postfix e2e (socketmap): first message reached mailroom ${ms} ms after POST /lists returned`);
});

/** An alias domain's list: refused before it exists; after, list@mailHost is rewritten to list@aliasDomain and handed to mailroom. */
async function aliasScenario(pf: Postfix, mailHost: string, alias: string, refusal: RegExp): Promise<number> {
  await rest("POST", "/domains", { mailHost, aliasDomain: alias });
  await rest("POST", "/lists", { address: `other@${mailHost}` });
  const refused = await send(pf, `team@${mailHost}`, "alias-before");
  assert.equal(refused?.code, 550, refused?.response);
  assert.match(refused!.response, refusal);

  await rest("POST", "/lists", { address: `team@${mailHost}` });
  const created = Date.now();
  assert.equal(await send(pf, `team@${mailHost}`, `alias-after-${created}`), null, "accepted at RCPT once the list exists");
  const line = await queued(`team@${alias}`).catch((err: Error) => {
    throw new Error(`${err.message}\nmaillog:\n${pf.log().slice(-3000)}`);
  });
  const re = (a: string) => a.replace(/[.+]/g, "\\$&");
  await pf.waitForLog(new RegExp(`to=<team@${re(alias)}>, orig_to=<team@${re(mailHost)}>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+, .*status=sent \\(250`));
  assert.equal(sink.messages.filter((m) => m.rcptTo.some((r) => r.startsWith("team@") || r.startsWith("team-"))).length, 0, "misrouted to the relay host");
  // VERP bounces: the +extension survives the rewrite (team-bounces+…@aliasDomain).
  assert.equal(await send(pf, `team-bounces+bob=example.net@${mailHost}`, "alias-verp"), null);
  await pf.waitForLog(new RegExp(`to=<team-bounces\\+bob=example\\.net@${re(alias)}>, orig_to=<team-bounces\\+bob=example\\.net@${re(mailHost)}>, relay=127\\.0\\.0\\.1`));
  return (line.time as number) - created;
}

test("alias domain through hash: maps: list@mailHost is rewritten to list@aliasDomain and delivered over LMTP", async () => {
  // mailHost stays a virtual alias domain: an address postfix_vmap does not know is refused at RCPT.
  const ms = await aliasScenario(files, ALIASED_HOST, ALIAS_DOMAIN, /virtual alias table/);
  console.log(`# postfix e2e (alias domain, files + reload): first message reached mailroom ${ms} ms after POST /lists returned`);
});

test("alias domain through the socketmap tables: the same, answered live", async () => {
  const ms = await aliasScenario(live, "aliased.example.net", "lists2.invalid", /relay recipient table/);
  console.log(`# postfix e2e (alias domain, socketmap): first message reached mailroom ${ms} ms after POST /lists returned`);
});
