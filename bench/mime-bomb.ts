// MIME bombs against a running server: how long `mailroom serve` (started as
// `npm start` starts it) takes from LMTP to a held post for each hostile structure,
// and its peak RSS (the kernel's VmHWM) before and after. The list filters content,
// so every post is split by mime-delete; the limits (src/pipeline/content/mime-tree.ts)
// should make each one a quick hold with the reason, whatever its size.
//   npx tsx bench/mime-bomb.ts [--repeat 20]
// PostgreSQL: DATABASE_URL (a server URL; a scratch database is created and dropped);
// unset: the embedded database.
import { parseArgs } from "node:util";
import { createEmptyServerDatabase, SERVER_URL } from "../test/helpers/db.js";
import { LmtpClient } from "../test/helpers/lmtp-client.js";
import { adminRequest, startServer } from "../test/helpers/server-process.js";
import { startSmtpSink } from "../test/helpers/smtp-sink.js";
import { deeplyNested, manyParts, unterminated, withExe, wrongBoundary } from "../test/pipeline/content/mime.js";
import { build, procStatus, startCommand } from "./measured-process.js";

const { values: opts } = parseArgs({ options: { repeat: { type: "string", default: "20" } } });
const REPEAT = Number(opts.repeat);

const CASES: [name: string, make: () => Buffer][] = [
  ["nested 1,000 deep", () => deeplyNested(1000)],
  ["nested 10,000 deep", () => deeplyNested(10_000)],
  ["10,000 parts", () => manyParts(10_000)],
  ["100,000 parts", () => manyParts(100_000)],
  ["boundary never occurs", wrongBoundary],
  ["never closed", unterminated],
];

async function main(): Promise<void> {
  build();
  const sink = await startSmtpSink({ store: false });
  const scratch = SERVER_URL ? await createEmptyServerDatabase() : null;
  const cmd = startCommand();
  const server = await startServer({ argv: cmd.argv, timeoutMs: 120_000, env: { ...cmd.env, DATABASE_URL: scratch?.url, MAILROOM_SMTP_PORT: String(sink.port) } });
  const api = (method: string, path: string, body?: unknown) => adminRequest(server.httpPort, method, path, body);
  try {
    await api("POST", "/domains", { mailHost: "example.com" });
    await api("POST", "/lists", { address: "bench@example.com", filterContent: true, filterExtensions: ["exe"] });
    await api("POST", "/lists/bench.example.com/members", { address: "anne@example.com" });
    // The reference: a list that holds every post (emergency) and filters nothing.
    await api("POST", "/lists", { address: "plain@example.com", emergency: true });
    await api("POST", "/lists/plain.example.com/members", { address: "anne@example.com" });
    const held = async (list = "bench") => (await api("GET", `/lists/${list}.example.com/held?limit=1`)).body.total as number;
    const send = async (raw: Buffer, list = "bench") => {
      const c = await LmtpClient.connect(server.lmtpPort);
      try {
        await c.command("LHLO bench");
        const r = await c.send("anne@example.com", [`${list}@example.com`], raw.toString());
        if (r.final[0]?.code !== 250) throw new Error(`LMTP ${r.final[0]?.code}`);
      } finally { await c.quit(); }
    };
    const untilHeld = async (n: number, list = "bench") => {
      const deadline = Date.now() + 120_000;
      while ((await held(list)) < n) {
        if (Date.now() > deadline) throw new Error("not held in 2 minutes");
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // Warm up with an ordinary filtered post (parse, rebuild, deliver) so the baseline is a working server.
    await send(withExe());
    await new Promise((r) => setTimeout(r, 1000));
    const pid = server.child.pid!;
    const base = procStatus(pid);
    console.log(`database: ${scratch ? "PostgreSQL" : "embedded"}; after one ordinary post: RSS ${base.rss} MB, peak ${base.hwm} MB`);
    console.log("case                      size      LMTP→held (ms)  peak RSS (MB)");
    let count = 0;
    for (const [name, make] of CASES) {
      const raw = make();
      const started = performance.now();
      await send(raw);
      await untilHeld(++count);
      const ms = performance.now() - started;
      const { hwm } = procStatus(pid);
      console.log(`${name.padEnd(24)} ${(raw.length / 1024).toFixed(0).padStart(6)} KB ${ms.toFixed(0).padStart(10)} ${String(hwm).padStart(14)}`);
    }
    // The same size as the largest bomb, plain text, held by emergency without any MIME parsing.
    const big = manyParts(100_000);
    const plain = Buffer.concat([Buffer.from("From: anne@example.com\r\nTo: plain@example.com\r\nSubject: big\r\n\r\n"), Buffer.alloc(big.length, "x\r\n")]);
    const t = performance.now();
    await send(plain, "plain");
    await untilHeld(1, "plain");
    console.log(`${"reference: plain, held".padEnd(24)} ${(plain.length / 1024).toFixed(0).padStart(6)} KB ${(performance.now() - t).toFixed(0).padStart(10)} ${String(procStatus(pid).hwm).padStart(14)}`);
    const started = performance.now();
    for (let i = 0; i < REPEAT; i++) for (const [, make] of CASES) await send(make());
    await untilHeld(count + REPEAT * CASES.length);
    const after = procStatus(pid);
    console.log(`${REPEAT} more rounds (${REPEAT * CASES.length} bombs): ${(performance.now() - started).toFixed(0)} ms; RSS ${after.rss} MB, peak ${after.hwm} MB`);
    const health = await api("GET", "/health");
    console.log(`server still answers: /health ${health.status}`);
  } finally {
    await server.stop();
    await sink.close();
    await scratch?.drop();
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
