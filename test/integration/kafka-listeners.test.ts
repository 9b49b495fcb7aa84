import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { available, hasCommand, run } from "../helpers/external-client.ts";
import { until } from "../helpers/until.ts";
import { RawClient } from "../kafka/support/in-process.ts";

/**
 * Kafka's listener-name model (KIP-103) on a cluster of three: each broker has two
 * listeners, INTERNAL advertised as 127.0.0.1:<port> and EXTERNAL as localhost:<port>
 * (as compose.yaml's service names and host ports), and a client is told every broker's
 * address for the listener it connected to, whichever broker it asked.
 */

let cluster: TestCluster;
const internal: number[] = [];
const external: number[] = [];

beforeAll(async () => {
  cluster = await startCluster(3, {
    args: ["--kafka-listeners=INTERNAL://:0,EXTERNAL://:0", "--kafka-advertise=INTERNAL://127.0.0.1:0,EXTERNAL://localhost:0"],
  });
  for (const b of cluster.brokers) {
    internal.push(Number(/^Kafka listener on :(\d+) \(INTERNAL, advertised as 127\.0\.0\.1:\1\)$/m.exec(b.output)?.[1]));
    external.push(Number(/^Kafka listener EXTERNAL on :(\d+) \(EXTERNAL, advertised as localhost:\1\)$/m.exec(b.output)?.[1]));
  }
});

afterAll(async () => {
  await cluster?.stop();
});

async function brokersSeenOn(port: number): Promise<[number, string, number][]> {
  const client = await RawClient.connect(port);
  try {
    const meta = await until(
      `Metadata on port ${port} naming all three brokers`,
      () => client.call("Metadata", 12, { topics: [], allowAutoTopicCreation: false }),
      (m) => m.brokers.length === 3,
      20_000,
    );
    return meta.brokers.map((b) => [b.nodeId, b.host, b.port]);
  } finally {
    client.end();
  }
}

describe("two Kafka listeners per broker", () => {
  test("every broker reports both listeners on their own ports", () => {
    expect(internal.every((p) => p > 0) && external.every((p) => p > 0)).toBe(true);
    expect(new Set([...internal, ...external]).size).toBe(6);
  });

  test("Metadata names every broker's address for the listener the client connected to, through any broker", async () => {
    for (const i of [0, 2]) {
      expect(await brokersSeenOn(internal[i])).toEqual(internal.map((p, id) => [id + 1, "127.0.0.1", p]));
      expect(await brokersSeenOn(external[i])).toEqual(external.map((p, id) => [id + 1, "localhost", p]));
    }
  });

  test.skipIf(!available("kcat", hasCommand("kcat"), "apt-get install -y kcat"))("kcat -L on the external listener lists the localhost addresses, and produces through them", async () => {
    const listed = await run(["kcat", "-b", `127.0.0.1:${external[1]}`, "-L"], { timeoutMs: 30_000 });
    expect(listed.exitCode).toBe(0);
    for (const [i, p] of external.entries()) expect(listed.stdout).toContain(`broker ${i + 1} at localhost:${p}`);
    const produced = await run(["kcat", "-b", `127.0.0.1:${external[0]}`, "-P", "-t", "through-external", "-X", "broker.address.family=v4"], {
      stdin: "a\nb\n",
      timeoutMs: 30_000,
    });
    expect(produced.exitCode).toBe(0);
    const consumed = await run(["kcat", "-b", `127.0.0.1:${external[2]}`, "-C", "-t", "through-external", "-o", "beginning", "-e", "-q", "-X", "broker.address.family=v4"], {
      timeoutMs: 30_000,
    });
    expect(consumed.stdout.split("\n").filter((l) => l !== "")).toEqual(["a", "b"]);
  });
});
