// Has the real Exim 4 write bounces, for the corpus in test/fixtures/bounces/mta/, as
// scripts/postfix-bounces.ts does with Postfix: a private Exim daemon relays a list's
// post to an SMTP sink that refuses recipients with 5xx and 4xx, and its own bounces
// to the list's -bounces address come back to the same sink. Needs the unpacked
// Exim of the Exim/Sendmail set-up (/opt/mailroom-mtas/exim4, user Debian-exim);
// run once as root, then re-run scripts/bounce-expected.py:
//   npx tsx scripts/exim-bounces.ts
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import { freePort } from "../test/helpers/postfix.js";
import { startSmtpSink } from "../test/helpers/smtp-sink.js";

const run = promisify(execFile);
const OUT = fileURLToPath(new URL("../test/fixtures/bounces/mta/", import.meta.url));
const EXIM = `${process.env.MAILROOM_MTAS_DIR || "/opt/mailroom-mtas"}/exim4/usr/sbin/exim4`;
const SENDER = "dev-bounces@lists.example.com";

const CASES = [
  { file: "exim-550-user-unknown.eml", to: ["anne@mx.example.org"], kind: "failed" },
  { file: "exim-two-recipients.eml", to: ["carl@mx.example.org", "dora@mx.example.org"], kind: "failed" },
  { file: "exim-451-delayed.eml", to: ["fred@slow.example.org"], kind: "delayed" },
  { file: "exim-451-expired.eml", to: ["gina@slower.example.org"], kind: "failed" },
] as const;

const sink = await startSmtpSink();
sink.failAlways("anne@mx.example.org", 550, "5.1.1 <anne@mx.example.org>: Recipient address rejected: User unknown");
sink.failAlways("carl@mx.example.org", 550, "5.1.1 No such user carl");
sink.failAlways("dora@mx.example.org", 552, "5.2.2 <dora@mx.example.org>: Mailbox full");
sink.failAlways("fred@slow.example.org", 451, "4.3.0 <fred@slow.example.org>: Temporary lookup failure");
sink.failAlways("gina@slower.example.org", 451, "4.2.1 <gina@slower.example.org>: Mailbox temporarily unavailable");

const dir = mkdtempSync("/tmp/mailroom-exim-bounces-");
chmodSync(dir, 0o755);
const [uid, gid] = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("Debian-exim:"))!.split(":").slice(2, 4).map(Number);
for (const d of ["spool", "log"]) { mkdirSync(join(dir, d)); chownSync(join(dir, d), uid!, gid!); }
const port = await freePort();
const conf = join(dir, "exim.conf");
// Queue runs every second, a delay warning after 3 s, and a 4xx given up after 15 s,
// so one run shows both without waiting for days.
writeFileSync(conf, `
exim_path = ${EXIM}
spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog
pid_file_path = ${dir}/exim.pid
local_interfaces = 127.0.0.1
daemon_smtp_ports = ${port}
primary_hostname = mx.exim.test
exim_user = Debian-exim
exim_group = Debian-exim
deliver_drop_privilege = true
keep_environment =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
delay_warning = 3s
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  accept hosts = 127.0.0.1
  deny

begin routers
outside:
  driver = manualroute
  route_list = * 127.0.0.1
  self = send
  transport = outside_smtp

begin transports
outside_smtp:
  driver = smtp
  port = ${sink.port}
  allow_localhost
  hosts_avoid_tls = *

begin retry
* * F,15s,1s
`, { mode: 0o644 });

const pidFile = join(dir, "exim.pid");
try {
  await run(EXIM, ["-C", conf, "-bd", "-q1s"], { timeout: 15_000 });
  const mailer = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
  for (const c of CASES) {
    await mailer.sendMail({
      envelope: { from: SENDER, to: [...c.to] }, from: "Dev <dev@lists.example.com>", to: c.to.join(", "),
      subject: `Bounce corpus: ${c.file}`, messageId: `<${c.file}@lists.example.com>`, text: "A post to the dev list.\n",
    });
  }
  const deadline = Date.now() + 90_000;
  for (const c of CASES) {
    // Exim's delay warning says "has not yet been delivered"; its failure report "could not be delivered".
    const match = (raw: string) => raw.includes(`Bounce corpus: ${c.file}`) && (c.kind === "delayed" ? /not yet been delivered/.test(raw) : /could not be delivered|failed/i.test(raw) && !/not yet been delivered/.test(raw));
    let found = sink.messages.find((m) => m.mailFrom === "" && match(m.raw.toString()));
    while (!found) {
      if (Date.now() > deadline) {
        const log = existsSync(join(dir, "log/mainlog")) ? readFileSync(join(dir, "log/mainlog"), "utf8") : "";
        throw new Error(`no ${c.kind} report for ${c.file}; mainlog:\n${log.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
      found = sink.messages.find((m) => m.mailFrom === "" && match(m.raw.toString()));
    }
    writeFileSync(OUT + c.file, found.raw);
    console.log(`${c.file}: ${found.raw.length} bytes to ${found.rcptTo.join(", ")}`);
  }
} finally {
  if (existsSync(pidFile)) { try { process.kill(Number(readFileSync(pidFile, "utf8").trim()), "SIGTERM"); } catch { /* gone */ } }
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
  await sink.close();
}
