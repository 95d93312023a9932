// Sustained overload (issue 13): posts offered for minutes at twice the rate the
// server can deliver, then the drain. Shows that the queues grow and drain, that
// nothing is dropped or sent twice (copies counted at a sink), and that memory stays
// bounded (the mailroom process's RSS sampled all along).
//   1. sustainable rate R: `smtp-source -L -d -s 10` streams --calibrate posts into a
//      list of --members members; R = posts per second until the last copy is at the sink;
//   2. overload: every second, --factor x R posts are offered (`smtp-source -L -s 10`,
//      a new LMTP connection per post, as Postfix delivers when it has a backlog),
//      for --minutes; queue depths and RSS are sampled every --every seconds;
//   3. drain: until every copy is at the sink, then 5 s more to catch duplicates.
// The measured process is `npm start`'s own command (bench/measured-process.ts).
//   npx tsx bench/overload.ts [--db postgres|embedded] [--minutes 10] [--factor 2] [--members 1]
//     [--calibrate 2000] [--every 10] [--no-build]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createEmptyServerDatabase } from "../test/helpers/db.js";
import { adminRequest, startServer } from "../test/helpers/server-process.js";
import { startCopySink } from "./copy-sink.js";
import { build, formatBreakdown, procStatus, startCommand, treeBreakdown, treeStatus } from "./measured-process.js";
import { smtpSource } from "./smtp-source.js";

const { values: opts } = parseArgs({
  options: {
    db: { type: "string", default: process.env.DATABASE_URL ? "postgres" : "embedded" },
    minutes: { type: "string", default: "10" },
    factor: { type: "string", default: "2" },
    members: { type: "string", default: "1" },
    calibrate: { type: "string", default: "2000" },
    every: { type: "string", default: "10" },
    "no-build": { type: "boolean", default: false },
  },
});
const LIST = "load@example.com";
const POSTER = "member0@example.org";
const MEMBERS = Number(opts.members);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  if (opts.db === "postgres" && !process.env.DATABASE_URL) throw new Error("--db postgres needs DATABASE_URL");
  if (!opts["no-build"]) build();
  const sink = await startCopySink();
  const scratch = opts.db === "postgres" ? await createEmptyServerDatabase() : null;
  const varDir = mkdtempSync(join(tmpdir(), "mailroom-overload-"));
  const cmd = startCommand();
  const server = await startServer({
    argv: cmd.argv, varDir, timeoutMs: 120_000,
    env: { ...cmd.env, DATABASE_URL: scratch?.url, MAILROOM_SMTP_PORT: String(sink.port), MAILROOM_SECRET: "bench" },
  });
  const pid = server.child.pid!;
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await adminRequest(server.httpPort, method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  try {
    await api("POST", "/domains", { mailHost: "example.com" });
    await api("POST", "/lists", { address: LIST });
    await api("POST", `/lists/${LIST}/members/bulk`, { members: Array.from({ length: MEMBERS }, (_, i) => ({ address: `member${i}@example.org` })) });
    let posts = 0;
    const expected = () => posts * MEMBERS;

    // 1. the sustainable rate, end to end
    await smtpSource(server.lmtpPort, POSTER, ["-t", LIST, "-s", "2", "-m", "50"]);
    posts += 50;
    await sink.until(expected(), 600_000);
    const n = Number(opts.calibrate);
    const t0 = Date.now();
    const feeding = smtpSource(server.lmtpPort, POSTER, ["-t", LIST, "-d", "-s", "10", "-m", String(n)]);
    posts += n;
    const cal = await sink.until(expected(), 600_000);
    await feeding;
    if (cal.at === null) throw new Error(`calibration: ${cal.accepted} of ${expected()} copies`);
    const sustainable = n / ((cal.at - t0) / 1000);
    const offered = Math.max(1, Math.round(sustainable * Number(opts.factor)));
    console.log(`db ${opts.db}, ${MEMBERS}-member list; sustainable ${sustainable.toFixed(1)} posts/s; offering ${offered} posts/s for ${opts.minutes} min`);

    // 2. overload
    const queueDepth = async () => {
      const items = (await api("GET", "/queues")).items as { name: string; depth: number }[];
      return Object.fromEntries(items.map((q) => [q.name, q.depth])) as Record<string, number>;
    };
    // The whole set-up's PSS each second through the overload and the drain (the table samples every --every s).
    const pss = { min: Infinity, max: 0, roles: {} as ReturnType<typeof treeBreakdown> };
    const sampler = setInterval(() => {
      const roles = treeBreakdown(pid);
      const total = Math.round(Object.values(roles).reduce((sum, r) => sum + r.pss, 0));
      pss.min = Math.min(pss.min, total);
      if (total > pss.max) { pss.max = total; pss.roles = roles; }
    }, 1000);
    const start = Date.now();
    const end = start + Number(opts.minutes) * 60_000;
    const inflight = new Set<Promise<unknown>>();
    let offeredPosts = 0, peakInflight = 0, peakBacklog = 0;
    const samples: string[] = [];
    let nextSample = start;
    console.log("| t (s) | posts offered | copies at sink | queue list / out | mailroom RSS (MB) | whole set-up PSS (MB) |");
    console.log("| --- | --- | --- | --- | --- | --- |");
    while (Date.now() < end) {
      const tick = Date.now();
      const p = smtpSource(server.lmtpPort, POSTER, ["-t", LIST, "-s", "10", "-m", String(offered)]);
      const tracked = p.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
      peakInflight = Math.max(peakInflight, inflight.size);
      offeredPosts += offered;
      if (tick >= nextSample) {
        nextSample += Number(opts.every) * 1000;
        const q = await queueDepth();
        peakBacklog = Math.max(peakBacklog, (q.list ?? 0) + (q.out ?? 0));
        const at = (await sink.until(0, 0)).accepted;
        const line = `| ${Math.round((tick - start) / 1000)} | ${offeredPosts} | ${at} | ${q.list} / ${q.out} | ${procStatus(pid).rss} | ${treeStatus(pid).pss} |`;
        samples.push(line);
        console.log(line);
      }
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
    await Promise.all(inflight);
    posts += offeredPosts;
    const acceptedRate = offeredPosts / ((Date.now() - start) / 1000);

    // 3. drain
    const drainStart = Date.now();
    const drained = await sink.until(expected(), 3_600_000);
    const drainSeconds = drained.at === null ? NaN : (drained.at - drainStart) / 1000;
    await sleep(5000);
    clearInterval(sampler);
    const final = (await sink.until(0, 0)).accepted;
    const q = await queueDepth();
    const status = procStatus(pid);
    console.log(`\nposts offered in the overload: ${offeredPosts} (${acceptedRate.toFixed(1)} posts/s taken, ${(acceptedRate / sustainable).toFixed(2)} x sustainable); smtp-source runs in flight at most ${peakInflight}`);
    console.log(`peak backlog (list + out jobs): ${peakBacklog}; drain after the last post: ${drainSeconds.toFixed(1)} s`);
    console.log(`copies at the sink: ${final} of ${expected()} expected (${final - expected()} extra); queues after: ${JSON.stringify(q)}`);
    console.log(`mailroom RSS now ${status.rss} MB, peak (VmHWM) ${status.hwm} MB`);
    console.log(`whole set-up PSS sampled each second (overload and drain): ${pss.min}–${pss.max} MB; at the peak: ${formatBreakdown(pss.roles)}`);
    if (final !== expected() || (q.shunt ?? 0) > 0) process.exitCode = 1;
  } finally {
    await server.stop();
    sink.stop();
    await scratch?.drop().catch(() => {});
    rmSync(varDir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(process.exitCode ?? 0), (err) => { console.error(err); process.exit(1); });
