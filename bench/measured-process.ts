// What the benchmarks measure is what an operator runs: `mailroom serve` started with
// package.json's own `start` command (compiled dist/, the same node flags and
// environment prefix), and its memory as the kernel counts it. Shared by
// bench/fanout.ts and bench/traffic.ts.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * `npm start` as package.json spells it (or `override`, same form): leading
 * NAME=value words (environment) and the command line. Split on spaces (the script
 * has no quoting), run without a shell so the pid measured is node's.
 */
export function startCommand(override = ""): { env: Record<string, string>; argv: string[] } {
  const script = override ||
    (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start!;
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Za-z_]\w*=/.test(words[0] ?? "")) {
    const [k, ...v] = words.shift()!.split("=");
    env[k!] = v.join("=");
  }
  return { env, argv: words };
}

/** `npm run build`: dist/ is what `npm start` runs, so it must be the current sources. */
export function build(): void {
  const b = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  if (b.status !== 0) throw new Error("npm run build failed");
}

/** kB figures of /proc/PID/status as MB: VmRSS now, VmHWM (the kernel's peak RSS). */
export function procStatus(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  return { rss: Math.round(kb("VmRSS") / 1024), hwm: Math.round(kb("VmHWM") / 1024) };
}

/** The process and all its descendants (a server's own PostgreSQL processes, say). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(Number(name));
    } catch { /* gone meanwhile */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { out.push(p); for (const c of children.get(p) ?? []) walk(c); };
  walk(pid);
  return out;
}

/**
 * Memory of a process tree, in MB: RSS and peak RSS (VmHWM) summed, and PSS now
 * (/proc/PID/smaps_rollup). Pages shared between the processes (PostgreSQL's shared
 * buffers) count once per process in RSS, so a tree's summed RSS and peak are upper
 * bounds; PSS splits each shared page between its processes, so its sum is the
 * tree's real share of memory at that moment (the kernel keeps no peak of it).
 */
export function treeStatus(...pids: number[]): { rss: number; hwm: number; pss: number; processes: number } {
  let rss = 0, hwm = 0, pss = 0, processes = 0;
  for (const p of pids.flatMap(processTree)) {
    try {
      const s = procStatus(p);
      // A process that exited but is not reaped yet (a backend ending) has no memory figures.
      if (!Number.isFinite(s.rss) || !Number.isFinite(s.hwm)) continue;
      rss += s.rss;
      hwm += s.hwm;
      const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"))?.[1];
      pss += Number(kb ?? 0) / 1024;
      processes++;
    } catch { /* gone meanwhile */ }
  }
  return { rss, hwm, pss: Math.round(pss), processes };
}

/**
 * CPU time (user + system) used so far by the processes and their descendants, in ms
 * (USER_HZ 100): the live ones' own, and their reaped children's (cutime, cstime), so
 * that a process that exited meanwhile (a backend whose connection was closed, an
 * autovacuum worker) still counts.
 */
export function cpuMs(...pids: number[]): number {
  let ticks = 0;
  for (const p of pids.flatMap(processTree)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch { /* gone meanwhile */ }
  }
  return ticks * 10;
}

/** PSS of one role's processes, in MB, and its kinds: private memory (anon), shared memory (shmem), mapped files. */
export interface RolePss { processes: number; pss: number; max: number; anon: number; shmem: number; file: number }

/**
 * PSS of a process tree by role, in MB: where a peak went. A PostgreSQL child
 * retitles itself ("postgres: checkpointer", "postgres: postgres mailroom [local]
 * idle"): its role is that title without the user, database and state, so that a
 * pool's backends add up under "backend".
 */
export function treeBreakdown(...pids: number[]): Record<string, RolePss> {
  const out: Record<string, RolePss> = {};
  for (const p of pids.flatMap(processTree)) {
    try {
      const rollup = readFileSync(`/proc/${p}/smaps_rollup`, "utf8");
      const mb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) / 1024;
      const args = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").filter(Boolean);
      const title = args[0] ?? "?";
      const role = !title.startsWith("postgres:") ? (/postgres$/.test(title) ? "postmaster" : basename(title))
        : /\[local\]|\(\d+\)/.test(title) ? "backend" : title.slice("postgres: ".length).trim();
      const r = (out[role] ??= { processes: 0, pss: 0, max: 0, anon: 0, shmem: 0, file: 0 });
      r.processes++;
      r.pss += mb("Pss");
      r.max = Math.max(r.max, mb("Pss"));
      r.anon += mb("Pss_Anon");
      r.shmem += mb("Pss_Shmem");
      r.file += mb("Pss_File");
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** treeBreakdown() on one line, largest first: "node 140 (anon 100, shmem 0, file 40), backend 9 x 8.1 (max 14; ...), ..." MB. */
export function formatBreakdown(b: Record<string, RolePss>): string {
  const kinds = (r: RolePss) => `anon ${r.anon.toFixed(1)}, shmem ${r.shmem.toFixed(1)}, file ${r.file.toFixed(1)}`;
  return Object.entries(b).sort((x, y) => y[1].pss - x[1].pss).map(([role, r]) => r.processes === 1
    ? `${role} ${r.pss.toFixed(1)} (${kinds(r)})`
    : `${role} ${r.processes} x ${(r.pss / r.processes).toFixed(1)} (max ${r.max.toFixed(1)}; in all ${kinds(r)})`).join(", ") + " MB";
}
