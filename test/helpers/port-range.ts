import { portProblem } from "../../src/cluster/port-check.ts";
import { HTTP } from "../../src/config/http.ts";
import { KAFKA_LAUNCHER } from "../../src/config/kafka.ts";

/** How far above `--base-port` a local cluster puts its Kafka ports unless told (8080 -> 9092). */
const KAFKA_OFFSET = KAFKA_LAUNCHER.basePort.default - HTTP.port.default;
/** Linux's range for outgoing connections starts here. */
const EPHEMERAL_FROM = 32_768;
const PICK_FROM = 20_000;

/**
 * `n` consecutive ports that are free on every local address right now, for
 * `broker --count=n --base-port=<first>`, together with the `n` Kafka ports such a cluster
 * takes by default (`<first> + 1012`). Picked at random in 20000-32767 (never 8080-8082),
 * both ranges, and verified by binding each one: below Linux's range for outgoing
 * connections (32768-60999), where any client socket of a parallel test could take a
 * port between this check and the broker's bind (it did, in CI: an HTTP range near
 * 32767 put its Kafka ports at 33488, which a client socket held).
 */
export function freePortRange(n: number): number {
  const span = EPHEMERAL_FROM - PICK_FROM - KAFKA_OFFSET - n;
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = PICK_FROM + Math.floor(Math.random() * span);
    const ports = Array.from({ length: n }, (_, i) => [base + i, base + KAFKA_OFFSET + i]).flat();
    if (ports.every((port) => portProblem(port) === undefined)) return base;
  }
  throw new Error(`no ${n} consecutive free ports (and their Kafka ports) found`);
}
