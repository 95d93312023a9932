// The benchmarks' copy sink: the project's test SMTP sink (test/helpers/smtp-sink.ts)
// in a process of its own, so that counting copies costs the measured run no CPU of
// the benchmark's event loop. It counts accepted recipients and answers
// {until: n} once the count reaches n. Used by bench/traffic.ts and bench/overload.ts.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startSmtpSink } from "../test/helpers/smtp-sink.js";

export interface CopySink {
  port: number;
  /** Resolves when `n` recipients were accepted (`at` = that moment), or after `ms` with `at` null. */
  until(n: number, ms: number): Promise<{ at: number | null; accepted: number }>;
  stop(): void;
}

export async function startCopySink(): Promise<CopySink> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], { execArgv: ["--import", "tsx"], stdio: "inherit" });
  const port = await new Promise<number>((res) => child.once("message", (m: { port: number }) => res(m.port)));
  // One question at a time: answers come back in the order they were asked.
  let chain: Promise<unknown> = Promise.resolve();
  return {
    port,
    until: (n, ms) => {
      const asked = chain.then(() => new Promise<{ at: number | null; accepted: number }>((res) => {
        child.once("message", (m: { at: number | null; accepted: number }) => res(m));
        child.send({ until: n, ms });
      }));
      chain = asked;
      return asked;
    },
    stop: () => child.kill(),
  };
}

async function sinkMain(): Promise<void> {
  const sink = await startSmtpSink({ store: false });
  process.send!({ port: sink.port });
  process.on("message", async (m: { until: number; ms: number }) => {
    try {
      await sink.waitForAccepted(m.until, m.ms);
      process.send!({ at: Date.now(), accepted: sink.accepted });
    } catch {
      process.send!({ at: null, accepted: sink.accepted });
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void sinkMain();
