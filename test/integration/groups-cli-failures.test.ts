import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GroupClient, type GroupDescriptionView } from "../../src/client/groups.ts";
import { StreamNestClient } from "../../src/client/index.ts";
import { RunningCli } from "../commands/running-cli.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { until } from "../helpers/until.ts";

/**
 * The CLI group consumer when things go wrong around it, on three real brokers: Ctrl-C
 * while its join is still waiting for the group, and a kill -9 of the coordinator while
 * the consumer prints records it cannot commit.
 */

let cluster: TestCluster;
let client: StreamNestClient;
let groups: GroupClient;
const running: RunningCli[] = [];

beforeAll(async () => {
  cluster = await startCluster(3);
  client = new StreamNestClient(cluster.brokers.map((b) => b.address));
  groups = new GroupClient(client);
});

afterAll(async () => {
  for (const cli of running) cli.kill();
  await cluster.stop();
});

function start(args: string[]): RunningCli {
  const cli = new RunningCli(args);
  running.push(cli);
  return cli;
}


const committedOf = (d: GroupDescriptionView, partition: number) => d.partitions.find((p) => p.partition === partition)?.committed_offset;

describe("streamnest consumer --group when things go wrong", () => {
  test("Ctrl-C while the join waits for the group leaves the group: no member is left holding partitions", async () => {
    await client.createTopic("pending-join", 2);
    // A member that never comes back to rejoin keeps the group preparing, so the CLI's
    // join is still waiting when it is interrupted.
    const stuck = await groups.join("stuck", ["pending-join"], { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 60_000 });
    const cli = start(["consumer", `--meta=${cluster.brokers[1].address}`, "--group=stuck", "--topic=pending-join"]);
    await until(
      "the CLI counted in while the group prepares",
      () => groups.describe("stuck"),
      (d) => d.state === "PreparingRebalance" && d.members.length === 2,
    );
    expect(await cli.signal("SIGINT")).toBe(0);
    const after = await groups.describe("stuck");
    expect(after.members.map((m) => m.member_id)).toEqual([stuck.member_id]);
    expect(cli.stdout).toBe("");
    await groups.leave("stuck", stuck.member_id);
  });

  test("records printed while the coordinator is down are committed when it is back, never printed twice", async () => {
    const [b1] = cluster.brokers;
    // One partition, led by broker 1 (placement p mod N); the group's coordinator is another broker.
    await client.createTopic("outage", 1);
    let group = "";
    let coordinator = 0;
    for (let i = 0; coordinator === 0 || coordinator === 1; i++) {
      group = `outage-${i}`;
      const probe = await groups.join(group, ["outage"]);
      coordinator = probe.coordinator.id;
      await groups.leave(group, probe.member_id);
    }
    const messages = (from: number) => Array.from({ length: 5 }, (_, i) => ({ message: `o-${from + i}`, partition: 0 }));
    await client.produceBatch("outage", messages(0));
    const cli = start(["consumer", `--meta=${b1.address}`, `--group=${group}`, "--topic=outage", "--format=json"]);
    await until("the first five committed", () => groups.describe(group), (d) => committedOf(d, 0) === 5);

    await cluster.broker(coordinator).kill9();
    await new StreamNestClient(b1.address).produceBatch("outage", messages(5));
    await cli.waitForStdout('"o-9"');
    await cluster.broker(coordinator).start();
    await until("the second five committed", () => groups.describe(group), (d) => committedOf(d, 0) === 10);
    expect(await cli.signal("SIGINT")).toBe(0);

    const printed = cli.stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => (JSON.parse(l) as { offset: number; message: string }).message);
    expect(printed).toEqual([...messages(0), ...messages(5)].map((m) => m.message));
    expect(cli.stderr).not.toMatch(/^\s+at /m);
  });
});
