// Whether a process is still running: alive and not a zombie (a child that exited is
// one until its parent reaps it, so a signal test sees its pid for a while).
import { readFileSync } from "node:fs";

export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
