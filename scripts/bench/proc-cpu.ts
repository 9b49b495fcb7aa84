import { readFileSync } from "node:fs";

/**
 * CPU time (user + system, ms) a process has used so far, from Linux's /proc/<pid>/stat
 * (fields 14 and 15, in clock ticks of 10 ms); undefined elsewhere. The benches report a
 * broker's CPU per request beside its rate: on a machine shared with other work the rate
 * moves with the load, while what one request costs the broker moves much less.
 */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields from after its ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Runs `work` and adds the CPU the process used meanwhile to `total` (NaN once unknown). */
export async function withCpu<T>(pid: number, total: { ms: number }, work: () => Promise<T>): Promise<T> {
  const before = cpuMsOf(pid);
  const result = await work();
  const after = cpuMsOf(pid);
  total.ms += before === undefined || after === undefined ? Number.NaN : after - before;
  return result;
}
