import { portProblem } from "../../src/cluster/port-check.ts";

/**
 * `n` consecutive ports that are free on every local address right now, for
 * `broker --count=n --base-port=<first>`. Picked at random in 20000-32767 (never
 * 8080-8082) and verified by binding each one: below Linux's range for outgoing
 * connections (32768-60999), where any client socket of a parallel test could take a
 * port between this check and the broker's bind (it did, in CI).
 */
export function freePortRange(n: number): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (12_768 - n));
    const ports = Array.from({ length: n }, (_, i) => base + i);
    if (ports.every((port) => portProblem(port) === undefined)) return base;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}
