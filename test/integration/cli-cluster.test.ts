import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { StreamNestClient } from "../../src/client/index.ts";
import { runCli, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { RunningCli } from "../commands/running-cli.ts";
import { until } from "../helpers/until.ts";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too tight.
setDefaultTimeout(60_000);

let cluster: TestCluster;
const running: RunningCli[] = [];

/** Waits until the broker behind `client` knows `topic` (metadata reaches peers asynchronously). */
async function untilKnown(client: StreamNestClient, topic: string): Promise<void> {
  await until(`${client.baseUrl} learning of topic ${topic}`, () => client.listTopics(), (topics) => topics.includes(topic), 20_000);
}

beforeAll(async () => {
  cluster = await startCluster(3);
});

afterAll(async () => {
  for (const cli of running) cli.kill();
  await cluster.stop();
});

describe("the CLI against a 3-broker cluster", () => {
  test("the seed's walkthrough: partitions spread over the brokers, produce and consume through any one", async () => {
    const [b1, b2, b3] = cluster.brokers;
    const admin = new StreamNestClient(b2.address);
    expect(await admin.createTopic("demo", 3)).toEqual({ status: "created" });
    // Placement is round-robin over the sorted brokers; each broker learns the topic
    // from the metadata quorum, so wait until the one the CLI talks to knows it.
    const viaB1 = new StreamNestClient(b1.address);
    await untilKnown(viaB1, "demo");
    const placement = await viaB1.partitionsOf("demo");
    const listing = placement.map((p) => `  ${p.partition} on ${p.broker}\n`).join("");
    expect(new Set(placement.map((p) => p.broker))).toEqual(new Set([b1.address, b2.address, b3.address]));

    const led = placement.find((p) => p.broker === b3.address);
    if (!led) throw new Error("no partition on broker 3");
    const produced = await runCli(["producer", `--meta=${b1.address}`], {
      stdin: `demo\n${led.partition}\nhello\nworld\nexit\n`,
    });
    expect(produced.stdout).toBe(
      `Enter topic: Partitions:\n${listing}Partition?> Type messages (or 'exit'):\n> offset: 0\n> offset: 1\n> `,
    );
    expect(produced.exitCode).toBe(0);

    const consumer = new RunningCli(["consumer", `--meta=${b2.address}`], `demo\n${led.partition}\n`);
    running.push(consumer);
    await consumer.waitForStdout("[Offset 1] world\n");
    await new StreamNestClient(b3.address).produce("demo", "live", { partition: led.partition });
    await consumer.waitForStdout("[Offset 2] live\n");
    expect(await consumer.signal("SIGINT")).toBe(0);
    expect(consumer.stdout).toBe(
      `Enter topic: Partitions:\n${listing}Partition?> [Offset 0] hello\n[Offset 1] world\n[Offset 2] live\n`,
    );
  });

  test("a consumer of every partition through one broker reads what was piped through another", async () => {
    const [b1, , b3] = cluster.brokers;
    await new StreamNestClient(b1.address).createTopic("spread", 6);
    const lines = Array.from({ length: 600 }, (_, i) => `m${i}`);
    await untilKnown(new StreamNestClient(b3.address), "spread");
    const produced = await runCli(["producer", `--meta=${b3.address}`, "--topic=spread"], { stdin: `${lines.join("\n")}\n` });
    expect(produced.stderr).toBe("[success] sent 600 messages to spread\n");
    const { exitCode, stdout } = await runCli(["consumer", `--meta=${b1.address}`, "--topic=spread", "--max=600", "--format=json"]);
    expect(exitCode).toBe(0);
    const records = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { partition: number; message: string });
    expect(records.map((r) => r.message).sort()).toEqual([...lines].sort());
    expect(new Set(records.map((r) => r.partition)).size).toBe(6);
  });
});
