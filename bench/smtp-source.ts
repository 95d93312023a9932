// Postfix's own load tools, as the benchmarks run them: smtp-source -L (the load
// generator, speaking LMTP) and smtp-sink -L (the ceiling: what an LMTP server that
// does nothing takes on this machine). smtp-sink refuses to run as root without -u:
// it is started with -u nobody then. Used by bench/traffic.ts and bench/overload.ts.
import { spawn } from "node:child_process";

const SMTP_SOURCE = "/usr/sbin/smtp-source";
const SMTP_SINK = "/usr/sbin/smtp-sink";

export interface SourceRun { seconds: number; rejected: number }

/** smtp-source -L -l 4096 from `from` with the given options; resolves with its wall time and the rejections it reported. */
export function smtpSource(port: number, from: string, args: string[]): Promise<SourceRun> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(SMTP_SOURCE, ["-L", "-l", "4096", "-f", from, ...args, `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    let rejected = 0;
    child.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      rejected += text.split("recipient rejected").length - 1;
      if (err.length < 4000) err += text;
    });
    child.on("exit", (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      code === 0 ? resolve({ seconds, rejected }) : reject(new Error(`smtp-source ${args.join(" ")} exited ${code}: ${err.slice(0, 500)}`));
    });
  });
}

export async function startSmtpSinkTool(): Promise<{ port: number; stop(): void }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const root = process.getuid?.() === 0 ? ["-u", "nobody"] : [];
  const child = spawn(SMTP_SINK, [...root, "-L", `127.0.0.1:${port}`, "256"], { stdio: ["ignore", "ignore", "inherit"] });
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new Error(`smtp-sink exited ${child.exitCode}`);
  return { port, stop: () => child.kill() };
}
