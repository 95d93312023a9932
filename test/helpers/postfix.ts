// A private Postfix instance for end-to-end tests (see /work/shared/POSTFIX.md):
// its own tree under /tmp (etc/, queue/, data/, maillog), SMTP on a high loopback
// port, no chroot, no DNS, started as root with `postfix -c DIR/etc start` and
// stopped after. Throws (the test fails, never skips) when Postfix cannot start.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PostfixOptions {
  /** Extra main.cf lines: the list-server settings under test. */
  mainCf: string;
  /** Where mail for other domains goes (a test sink); unset: nowhere (deferred). */
  relayPort?: number;
}

export interface Postfix {
  dir: string;
  /** MAIL_CONFIG of this instance (for postmap -c / MAILROOM_POSTFIX_CONFIG_DIR). */
  configDir: string;
  smtpPort: number;
  /** The maillog so far. */
  log(): string;
  /** Resolves with the first maillog line matching, polling until `ms`. */
  waitForLog(re: RegExp, ms?: number): Promise<string>;
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export interface ConfiguredPostfix {
  configDir: string;
  /** The SMTP port it will listen on once started (mailroom's outgoing mail can be pointed at it first). */
  smtpPort: number;
  /** `postfix -c DIR/etc start`; throws when Postfix does not come up. */
  start(): Promise<Postfix>;
  /** Remove the tree without starting (a test that failed before start). */
  discard(): void;
}

/** A port that was free a moment ago (Postfix's master.cf needs a number). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

const MASTER_CF = (port: number) => `
127.0.0.1:${port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export async function startPostfix(opts: PostfixOptions): Promise<Postfix> {
  return (await configurePostfix(opts)).start();
}

/** Writes the instance's tree and config without starting it (so its config dir can be handed out first). */
export async function configurePostfix(opts: PostfixOptions): Promise<ConfiguredPostfix> {
  if (!existsSync("/usr/sbin/postfix")) throw new Error("Postfix is not installed (.ci/run installs it: apt-get install postfix)");
  // Every parent must be searchable by the postfix user: not a 0700 mkdtemp.
  const dir = mkdtempSync("/tmp/mailroom-postfix-");
  chmodSync(dir, 0o755);
  const etc = join(dir, "etc");
  for (const d of ["etc", "queue", "data"]) mkdirSync(join(dir, d), { mode: 0o755 });
  await run("chown", ["postfix", join(dir, "data")]);
  const smtpPort = await freePort();
  const maillog = join(dir, "maillog");
  writeFileSync(join(etc, "main.cf"), `
compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = /var, /dev/stdout, /tmp
maillog_file = ${maillog}
myhostname = mx.mailroom.test
mydomain = mailroom.test
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtputf8_enable = no
relayhost = ${opts.relayPort ? `[127.0.0.1]:${opts.relayPort}` : ""}
${opts.mainCf}
`);
  writeFileSync(join(etc, "master.cf"), MASTER_CF(smtpPort));

  const log = () => (existsSync(maillog) ? readFileSync(maillog, "utf8") : "");
  return {
    configDir: etc,
    smtpPort,
    discard: () => rmSync(dir, { recursive: true, force: true }),
    start: () => start(dir, etc, smtpPort, log),
  };
}

async function start(dir: string, etc: string, smtpPort: number, log: () => string): Promise<Postfix> {
  try {
    await run("/usr/sbin/postfix", ["-c", etc, "start"], { timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`postfix -c ${etc} start failed: ${(e.stderr || e.message).trim()}\n${log().slice(-2000)}`);
  }
  await waitForPort(smtpPort, 15_000).catch((err) => {
    throw new Error(`Postfix did not listen on 127.0.0.1:${smtpPort}: ${(err as Error).message}\n${log().slice(-2000)}`);
  });

  return {
    dir, configDir: etc, smtpPort, log,
    async waitForLog(re, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const line = log().split("\n").find((l) => re.test(l));
        if (line) return line;
        if (Date.now() > deadline) throw new Error(`no maillog line matching ${re} within ${ms} ms; maillog:\n${log().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async reload() { await run("/usr/sbin/postfix", ["-c", etc, "reload"]); },
    async stop() {
      await run("/usr/sbin/postfix", ["-c", etc, "stop"]).catch(() => {});
      // Let the master go before removing its tree.
      await new Promise((r) => setTimeout(r, 300));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitForPort(port: number, ms: number): Promise<void> {
  const { connect } = await import("node:net");
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}
