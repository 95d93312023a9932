// A private Exim 4 for end-to-end tests, run from the package scripts/install-mtas.sh
// unpacked (Debian's exim4 conflicts with the system's postfix). Its configuration
// is the block docs/exim.md shows, with only the macro values changed: its own
// spool, log and pid file under /tmp, SMTP on a free loopback port. Started as
// root with `exim4 -C FILE -bd -q5s`; throws (the test fails, never skips) when
// Exim cannot start.
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { docBlock, mtaRoot, withValues } from "./mta-config.js";
import { freePort, waitForPort } from "./postfix.js";

const run = promisify(execFile);

export interface EximOptions {
  /** The SMTP port (default: a free one), so mailroom can be pointed at it first. */
  smtpPort?: number;
  /** mailroom's $MAILROOM_VAR_DIR/data. */
  dataDir: string;
  lmtpPort: number;
  /** Where mail for other domains goes (the members' MX: a test sink). */
  sinkPort: number;
}

export interface Exim {
  smtpPort: number;
  /** The main log so far. */
  log(): string;
  /** Resolves with the first main log line matching, polling until `ms`. */
  waitForLog(re: RegExp, ms?: number): Promise<string>;
  stop(): Promise<void>;
}

/** The configuration the test runs: docs/exim.md's block with this instance's values. */
export function eximConfig(values: Record<string, string | number>): string {
  return withValues(docBlock("exim.md", "exim.conf:"), values, (name) => new RegExp(`^(${name} = ).*$`, "m"));
}

export async function startExim(opts: EximOptions): Promise<Exim> {
  const root = mtaRoot("exim4");
  const binary = join(root, "usr/sbin/exim4");
  const dir = mkdtempSync("/tmp/mailroom-exim-");
  chmodSync(dir, 0o755);
  const { uid, gid } = eximUser();
  for (const d of ["spool", "log"]) {
    mkdirSync(join(dir, d));
    chownSync(join(dir, d), uid, gid);
  }
  const smtpPort = opts.smtpPort ?? (await freePort());
  const conf = join(dir, "exim.conf");
  // Exim runs a -C file as root only when root owns it and nobody else may write it.
  writeFileSync(conf, eximConfig({
    MAILROOM_DATA: opts.dataDir,
    MAILROOM_LMTP_HOST: "127.0.0.1",
    MAILROOM_LMTP_PORT: opts.lmtpPort,
    EXIM_BINARY: binary,
    INSTANCE_DIR: dir,
    INSTANCE_PORT: smtpPort,
    SINK_PORT: opts.sinkPort,
  }), { mode: 0o644 });
  const mainlog = join(dir, "log", "mainlog");
  const log = () => (existsSync(mainlog) ? readFileSync(mainlog, "utf8") : "");
  const panic = () => { const p = join(dir, "log", "paniclog"); return existsSync(p) ? readFileSync(p, "utf8") : ""; };
  try {
    await run(binary, ["-C", conf, "-bd", "-q5s"], { timeout: 15_000 });
    await waitForPort(smtpPort, 15_000);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    killDaemon(dir);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Exim did not start on 127.0.0.1:${smtpPort}: ${(e.stderr || e.message).trim()}\n${panic()}${log().slice(-2000)}`);
  }
  return {
    smtpPort,
    log,
    async waitForLog(re, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const line = log().split("\n").find((l) => re.test(l));
        if (line) return line;
        if (Date.now() > deadline) throw new Error(`no Exim log line matching ${re} within ${ms} ms; mainlog:\n${log().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      killDaemon(dir);
      await new Promise((r) => setTimeout(r, 200));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The daemon this instance started, by its pid file. */
function killDaemon(dir: string): void {
  const pidFile = join(dir, "exim.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  try { if (pid > 0) process.kill(pid, "SIGTERM"); } catch { /* already gone */ }
}

function eximUser(): { uid: number; gid: number } {
  try {
    const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("Debian-exim:"));
    if (!line) throw new Error("no such user");
    const [, , uid, gid] = line.split(":");
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    throw new Error(`the user Debian-exim does not exist (scripts/install-mtas.sh creates it; running as ${userInfo().username})`);
  }
}
