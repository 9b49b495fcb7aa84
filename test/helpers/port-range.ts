import { portProblem } from "../../src/cluster/port-check.ts";

/**
 * `n` consecutive ports that are free on every local address right now, for
 * `broker --count=n --base-port=<first>`. Picked at random in a high range (never
 * 8080-8082) and verified by binding each one.
 */
export function freePortRange(n: number): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (40_000 - n));
    const ports = Array.from({ length: n }, (_, i) => base + i);
    if (ports.every((port) => portProblem(port) === undefined)) return base;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}
