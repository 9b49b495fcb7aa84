import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * A local cluster started again with a smaller --count leaves out brokers whose data is
 * still in its folder. The cluster still counts them (their replicas, their votes in the
 * metadata quorum): started alone, broker 1 of a former three waited 10 s on every
 * acks=all produce and answered an unknown outcome, and elections waited for a quorum
 * majority that could not come. The launcher says so before the brokers start.
 */

/** Ids K of the `broker-K` folders in `dataDir` above `count` that hold a broker's metadata (its `meta` folder), ascending. */
export function brokersLeftOut(dataDir: string, count: number): number[] {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch {
    return [];
  }
  const ids: number[] = [];
  for (const name of names) {
    const match = /^broker-([1-9][0-9]{0,8})$/.exec(name);
    if (match === null) continue;
    const id = Number(match[1]);
    if (id > count && existsSync(join(dataDir, name, "meta"))) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/** The warning for brokers `left` (ascending, non-empty) left out by `--count=count`. */
export function leftOutWarning(dataDir: string, count: number, left: readonly number[]): string {
  const names = left.length === 1 ? `broker ${left[0]}` : `brokers ${left.slice(0, -1).join(", ")} and ${left[left.length - 1]}`;
  const verb = left.length === 1 ? "is" : "are";
  const whole = Math.max(...left);
  return (
    `Warning: ${dataDir} also holds the data of ${names}, which --count=${count} does not start. ` +
    `The cluster still counts ${left.length === 1 ? "it" : "them"} as ${left.length === 1 ? "a member" : "members"} that ${verb} down: ` +
    `acks=all produces wait for ${left.length === 1 ? "its" : "their"} replicas until the ISR can shrink, and without a majority of the metadata quorum's voters up ` +
    `no leader is elected and nothing changes. Start with --count=${whole} to bring ${left.length === 1 ? "it" : "them"} back, or use another --data-dir for a new cluster.`
  );
}
