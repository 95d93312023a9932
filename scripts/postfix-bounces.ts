// Has the real Postfix write bounces, for the corpus in test/fixtures/bounces/mta/:
// a private Postfix instance (test/helpers/postfix.ts) relays a list's mail to an
// SMTP sink that refuses some recipients with 5xx and others with 4xx; Postfix's
// own DSNs to the list's -bounces address come back to the same sink and are
// written out. Run once (as root, Postfix installed), then re-run
// scripts/bounce-expected.py to record what flufl.bounce finds in them:
//   npx tsx scripts/postfix-bounces.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import { configurePostfix } from "../test/helpers/postfix.js";
import { startSmtpSink } from "../test/helpers/smtp-sink.js";

const OUT = fileURLToPath(new URL("../test/fixtures/bounces/mta/", import.meta.url));
const SENDER = "dev-bounces@lists.example.com";

interface Case {
  file: string;
  to: string[];
  /** RFC 3461 ORCPT: the address the list meant, when the relay was given another. */
  orcpt?: string;
}

const CASES: Case[] = [
  { file: "postfix-550-user-unknown.eml", to: ["anne@mx.example.org"] },
  { file: "postfix-orcpt.eml", to: ["bert@mx.example.org"], orcpt: "Bert@Example.org" },
  { file: "postfix-two-recipients.eml", to: ["carl@mx.example.org", "dora@mx.example.org"] },
  { file: "postfix-552-mailbox-full.eml", to: ["emma@mx.example.org"] },
  { file: "postfix-451-delayed.eml", to: ["fred@slow.example.org"] },
  { file: "postfix-451-expired.eml", to: ["gina@slower.example.org"] },
];

const sink = await startSmtpSink();
sink.failAlways("anne@mx.example.org", 550, "5.1.1 <anne@mx.example.org>: Recipient address rejected: User unknown in virtual mailbox table");
sink.failAlways("bert@mx.example.org", 550, "5.1.1 <bert@mx.example.org>: Recipient address rejected: User unknown");
sink.failAlways("carl@mx.example.org", 550, "5.1.1 No such user carl");
sink.failAlways("dora@mx.example.org", 554, "5.7.1 <dora@mx.example.org>: Relay access denied");
sink.failAlways("emma@mx.example.org", 552, "5.2.2 <emma@mx.example.org>: Mailbox full");
sink.failAlways("fred@slow.example.org", 451, "4.3.0 <fred@slow.example.org>: Temporary lookup failure");
sink.failAlways("gina@slower.example.org", 451, "4.2.1 <gina@slower.example.org>: Mailbox temporarily unavailable");

// Retry every second; warn of delays after 2 s; give up after 20 s, so one run shows
// a delay warning (fred) and an expiry (gina) without waiting for days.
const configured = await configurePostfix({
  relayPort: sink.port,
  mainCf: [
    "queue_run_delay = 1s", "minimal_backoff_time = 1s", "maximal_backoff_time = 2s",
    "delay_warning_time = 2s", "maximal_queue_lifetime = 20s", "bounce_queue_lifetime = 20s",
  ].join("\n"),
});
const postfix = await configured.start();
try {
  const mailer = nodemailer.createTransport({ host: "127.0.0.1", port: postfix.smtpPort, secure: false, ignoreTLS: true });
  for (const c of CASES) {
    await mailer.sendMail({
      envelope: { from: SENDER, to: c.to },
      ...(c.orcpt ? { dsn: { notify: ["failure", "delay"], recipient: c.orcpt } } : {}),
      from: "Dev <dev@lists.example.com>", to: c.to.join(", "), subject: `Bounce corpus: ${c.file}`,
      messageId: `<${c.file}@lists.example.com>`, text: "A post to the dev list.\n",
    });
  }
  const wanted = (c: Case, delayed: boolean) => sink.messages.find((m) => m.mailFrom === "" && m.raw.includes(`Bounce corpus: ${c.file}`) &&
    (delayed ? /Action: delayed/i.test(m.raw.toString()) : /Action: failed/i.test(m.raw.toString())));
  const deadline = Date.now() + 60_000;
  for (const c of CASES) {
    const delayed = c.file.includes("delayed");
    while (!wanted(c, delayed)) {
      if (Date.now() > deadline) throw new Error(`no ${delayed ? "delay warning" : "bounce"} for ${c.file}; maillog:\n${postfix.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const dsn = wanted(c, delayed)!;
    writeFileSync(OUT + c.file, dsn.raw);
    console.log(`${c.file}: ${dsn.raw.length} bytes to ${dsn.rcptTo.join(", ")}`);
  }
} finally {
  await postfix.stop();
  await sink.close();
}
