// The end-to-end round trip the Exim and Sendmail tests share (the Postfix test has
// its own, older copy): a real `mailroom serve` behind a real MTA. Unknown list
// address → 550 at RCPT; after POST /lists the next message sent to the MTA over SMTP
// reaches mailroom over LMTP, -request and a VERP -bounces+… address too; members'
// copies leave mailroom through the same MTA to a sink; after DELETE, 550 again.
// Returns how long after the REST call mailroom had the first message.
import assert from "node:assert/strict";
import nodemailer from "nodemailer";
import { adminRequest, type ServerProcess } from "./server-process.js";
import type { SmtpSink } from "./smtp-sink.js";
import { waitFor } from "./wait.js";

export interface MtaUnderTest {
  name: string;
  smtpPort: number;
  /** The MTA's own record of the hop, for failure messages (log, queue). */
  diagnostics(): string;
  /** Asserts the MTA handed `rcpt` to mailroom over LMTP (its log), when it keeps one. */
  deliveredToMailroom?(rcpt: string): Promise<void>;
  /** Asserts the MTA relayed the members' copy for `rcpt` to the sink. */
  relayedToSink?(rcpt: string): Promise<void>;
}

export interface Stack { server: ServerProcess; sink: SmtpSink; mta: MtaUnderTest }

export interface Timings {
  /** POST /lists returned → first message queued in mailroom, list in a domain the MTA knew. */
  newList: number;
  /** The same for the first list of a new domain (Sendmail: includes its restart). */
  newDomain: number;
}

const re = (s: string) => s.replace(/[.+]/g, "\\$&");

export async function rest(s: Stack, method: string, path: string, body?: unknown) {
  const res = await adminRequest(s.server.httpPort, method, path, body);
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/**
 * Sends one message as an outside client (from 127.0.0.2, not a relay host);
 * returns the RCPT refusal, if any. A refused connection is retried for a few
 * seconds, as any SMTP client does: Sendmail restarts itself on SIGHUP.
 */
export async function send(s: Stack, to: string, subject: string, text = "hello\n"): Promise<{ code: number; response: string } | null> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: s.mta.smtpPort, ignoreTLS: true, localAddress: "127.0.0.2", name: "outside.test" });
    try {
      await transport.sendMail({ from: "anne@outside.test", to, subject, text });
      return null;
    } catch (err) {
      const e = err as { responseCode?: number; response?: string; code?: string; message: string };
      if (e.responseCode) return { code: e.responseCode, response: e.response ?? "" };
      if (!/ECONNREFUSED|ECONNRESET/.test(`${e.code} ${e.message}`) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      transport.close();
    }
  }
}

/** mailroom's "message queued" line for `rcpt` (the LMTP hop done). */
export function queued(s: Stack, rcpt: string, after = 0) {
  return s.server.waitForLog(
    (l) => l.msg === "message queued" && Array.isArray(l.rcptTo) && l.rcptTo.includes(rcpt) && (l.time as number) >= after,
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${s.mta.name}:\n${s.mta.diagnostics().slice(-3000)}\nmailroom:\n${s.server.logs.slice(-8).map((l) => JSON.stringify(l)).join("\n")}`);
  });
}

async function refused(s: Stack, to: string, label: string, why: RegExp) {
  const r = await send(s, to, label);
  assert.ok(r, `${to} must be refused at RCPT`);
  assert.equal(r.code, 550, r.response);
  assert.match(r.response, why);
}

/** Sends to `to` and returns ms from `since` to mailroom queuing it (as `rcpt`). */
async function reaches(s: Stack, to: string, subject: string, since: number, rcpt = to): Promise<number> {
  const sent = Date.now();
  assert.equal(await send(s, to, subject), null, `${to} accepted at RCPT`);
  const line = await queued(s, rcpt, sent - 1000);
  await s.mta.deliveredToMailroom?.(rcpt);
  return (line.time as number) - since;
}

export async function listScenario(s: Stack, domain: string, label: string): Promise<Timings> {
  await rest(s, "POST", "/domains", { mailHost: domain });
  await rest(s, "POST", "/lists", { address: `other@${domain}` });
  const newDomain = await reaches(s, `other@${domain}`, `${label}-new-domain`, Date.now());
  // The domain is a list domain now, but mylist is nobody: 550 at RCPT.
  await refused(s, `mylist@${domain}`, `${label}-before`, /5\.1\.1/);
  // Not a list domain at all: no relaying.
  await refused(s, `x@unknown-${label}.example`, `${label}-relay`, /5\.7\.1/);

  await rest(s, "POST", "/lists", { address: `mylist@${domain}` });
  const newList = await reaches(s, `mylist@${domain}`, `${label}-after`, Date.now());
  assert.equal(s.sink.messages.filter((m) => m.rcptTo.includes(`mylist@${domain}`)).length, 0, "misrouted to the outside");
  // Sub-addresses: -request (a command) and a VERP bounce with its +extension.
  await reaches(s, `mylist-request@${domain}`, "help", Date.now());
  await reaches(s, `mylist-bounces+bob=example.net@${domain}`, `${label}-verp`, Date.now());

  // Once anne is a member her post goes out: mailroom hands the copies to the MTA
  // over SMTP, and the MTA relays them to the members' MX (the sink).
  const list = `mylist.${domain}`;
  const member = `bob@members-${label}.test`;
  await rest(s, "POST", `/lists/${list}/members`, { address: "anne@outside.test" });
  await rest(s, "POST", `/lists/${list}/members`, { address: member });
  assert.equal(await send(s, `mylist@${domain}`, `${label}-post`), null);
  const copy = await waitFor(`a copy for ${member}`, async () =>
    s.sink.messages.find((m) => m.rcptTo.includes(member) && m.raw.toString("latin1").includes(`${label}-post`)),
  ).catch((err: Error) => { throw new Error(`${err.message}; ${s.mta.name}:\n${s.mta.diagnostics().slice(-3000)}`); });
  assert.equal(copy.mailFrom, `mylist-bounces@${domain}`);
  assert.match(copy.raw.toString("latin1"), new RegExp(`^List-Id: .*<${re(list)}>`, "mi"));
  await s.mta.relayedToSink?.(member);

  await rest(s, "DELETE", `/lists/${list}`);
  await refused(s, `mylist@${domain}`, `${label}-deleted`, /5\.1\.1/);
  return { newList, newDomain };
}

/** Mailman's alias_domain: list@mailHost reaches mailroom as list@aliasDomain (`rcpt(local)` says which it expects). */
export async function aliasScenario(s: Stack, mailHost: string, alias: string, rcpt: (local: string) => string): Promise<number> {
  await rest(s, "POST", "/domains", { mailHost, aliasDomain: alias });
  await rest(s, "POST", "/lists", { address: `other@${mailHost}` });
  await refused(s, `team@${mailHost}`, "alias-before", /5\.1\.1/);
  await rest(s, "POST", "/lists", { address: `team@${mailHost}` });
  const ms = await reaches(s, `team@${mailHost}`, "alias-after", Date.now(), rcpt("team"));
  await reaches(s, `team-bounces+bob=example.net@${mailHost}`, "alias-verp", Date.now(), rcpt("team-bounces+bob=example.net"));
  return ms;
}
