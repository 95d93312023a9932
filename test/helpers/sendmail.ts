// A private Sendmail 8 for end-to-end tests, run from the packages
// scripts/install-mtas.sh unpacked (Debian's sendmail conflicts with the system's
// postfix). Its sendmail.cf is built with m4 from the .mc block docs/sendmail.md
// shows, with only the define values changed: own queue, pid file and aliases under
// /tmp, SMTP on a free loopback port. Started as root in a private UTS namespace
// with a qualified host name (else Sendmail sleeps 60 s at start); throws (the test
// fails, never skips) when Sendmail cannot start.
import { execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { docBlock, mtaRoot, withValues } from "./mta-config.js";
import { freePort, waitForPort } from "./postfix.js";

const run = promisify(execFile);

export interface SendmailOptions {
  /** mailroom's $MAILROOM_VAR_DIR/data. */
  dataDir: string;
  lmtpPort: number;
  /** Where mail for other domains goes (the members' MX: a test sink). */
  sinkPort: number;
}

export interface ConfiguredSendmail {
  smtpPort: number;
  /** MAILROOM_MAKEMAP for mailroom: the unpacked makemap, told this instance's sendmail.cf. */
  makemap: string;
  /** MAILROOM_SENDMAIL_RELOAD for mailroom: a SIGHUP to this instance's daemon. */
  reload: string;
  start(): Promise<Sendmail>;
  discard(): void;
}

export interface Sendmail {
  smtpPort: number;
  /** The queue's contents (`mailq`), for failure messages: there is no syslog. */
  queue(): Promise<string>;
  stop(): Promise<void>;
}

/** The .mc the test runs: docs/sendmail.md's block with this instance's values. */
export function sendmailMc(values: Record<string, string | number>): string {
  return withValues(docBlock("sendmail.md", "sendmail.mc:"), values, (name) => new RegExp(`^(define\\(\`${name}', \`)[^']*(')`, "m"));
}

/** Writes the instance's tree and sendmail.cf without starting it (so mailroom can be told its commands first). */
export async function configureSendmail(opts: SendmailOptions): Promise<ConfiguredSendmail> {
  const root = mtaRoot("sendmail");
  const binary = join(root, "usr/libexec/sendmail/sendmail");
  const dir = mkdtempSync("/tmp/mailroom-sendmail-");
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "queue"), { mode: 0o700 });
  const smtpPort = await freePort();
  const mc = sendmailMc({
    MAILROOM_DATA: opts.dataDir,
    MAILROOM_LMTP_PORT: opts.lmtpPort,
    SENDMAIL_CF_DIR: join(root, "usr/share/sendmail/cf"),
    INSTANCE_DIR: dir,
    INSTANCE_PORT: smtpPort,
    SINK_PORT: opts.sinkPort,
  });
  writeFileSync(join(dir, "sendmail.mc"), mc);
  const cf = join(dir, "sendmail.cf");
  try {
    const { stdout } = await run("m4", [join(dir, "sendmail.mc")], { maxBuffer: 10 * 1024 * 1024 });
    writeFileSync(cf, stdout, { mode: 0o644 });
    writeFileSync(join(dir, "aliases"), "postmaster: root\n");
    writeFileSync(join(dir, "local-host-names"), "");
    writeFileSync(join(dir, "service.switch"), "hosts files\naliases files\n");
    await run("unshare", qualified(`${binary} -C${cf} -bi`), { timeout: 30_000 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`sendmail.cf could not be built: ${(err as { stderr?: string }).stderr || (err as Error).message}`);
  }
  const pidFile = join(dir, "sendmail.pid");
  return {
    smtpPort,
    makemap: `${join(root, "usr/libexec/sendmail/makemap")} -C ${cf}`,
    reload: `kill -HUP "$(head -1 ${pidFile})"`,
    discard: () => rmSync(dir, { recursive: true, force: true }),
    async start() {
      const daemon = spawn("unshare", qualified(`${binary} -C${cf} -bd -q5s`), { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      daemon.stderr.on("data", (d) => { stderr += d; });
      try {
        await waitForPort(smtpPort, 15_000);
      } catch {
        killDaemon(pidFile);
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`Sendmail did not listen on 127.0.0.1:${smtpPort}: ${stderr.trim()}`);
      }
      return {
        smtpPort,
        async queue() {
          const r = await run("unshare", qualified(`${binary} -C${cf} -bp`)).catch((e: { stdout?: string; message: string }) => ({ stdout: e.stdout ?? e.message }));
          return r.stdout;
        },
        async stop() {
          killDaemon(pidFile);
          await new Promise((r) => setTimeout(r, 200));
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** unshare's arguments to run `command` with the host name mta.localhost: unqualified, Sendmail sleeps 60 s first. */
function qualified(command: string): string[] {
  return ["--uts", "sh", "-c", `hostname mta.localhost && exec ${command}`];
}

/** The daemon this instance started, by its pid file (its first line). */
function killDaemon(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  try { if (pid > 0) process.kill(pid, "SIGTERM"); } catch { /* already gone */ }
}
