import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GroupClient, type GroupDescriptionView } from "../../src/client/groups.ts";
import { StreamNestClient } from "../../src/client/index.ts";
import { RunningCli } from "../commands/running-cli.ts";
import { runCli, startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { until } from "../helpers/until.ts";

/**
 * The CLI consumer in a group, against three real brokers: members share the
 * partitions, every message is printed once by the group, a member that leaves hands
 * its partitions over from the committed offsets, and a later member starts where the
 * group stopped.
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


interface Printed {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  message: string;
}

function lines(stdout: string): Printed[] {
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Printed);
}

const committedTotal = (d: GroupDescriptionView, topic: string) =>
  d.partitions.filter((p) => p.topic === topic).reduce((sum, p) => sum + (p.committed_offset ?? 0), 0);

describe("streamnest consumer --group on three brokers", () => {
  test("two members share six partitions, print every message exactly once, and the one left takes over from the committed offsets", async () => {
    const [b1, b2, b3] = cluster.brokers;
    expect((await client.createTopic("orders", 6)).status).toBe("created");
    const a = start(["consumer", `--meta=${b2.address}`, "--group=shop", "--topic=orders", "--format=json"]);
    const b = start(["consumer", `--meta=${b3.address}`, "--group=shop", "--topic=orders", "--format=json"]);
    const stable = await until(
      "two members with three partitions each",
      () => groups.describe("shop"),
      (d) => d.state === "Stable" && d.members.length === 2 && d.members.every((m) => m.assignments.length === 3),
    );
    const owned = stable.members.map((m) => m.assignments.map((x) => x.partition).sort());
    expect(owned.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);

    const first = Array.from({ length: 60 }, (_, i) => ({ message: `m-${i}`, partition: i % 6 }));
    await new StreamNestClient(b1.address).produceBatch("orders", first);
    await until("60 messages committed", () => groups.describe("shop"), (d) => committedTotal(d, "orders") === 60);

    const fromA = lines(a.stdout);
    const fromB = lines(b.stdout);
    const partsA = new Set(fromA.map((l) => l.partition));
    const partsB = new Set(fromB.map((l) => l.partition));
    expect(partsA.size).toBe(3);
    expect(partsB.size).toBe(3);
    expect([...partsA].filter((p) => partsB.has(p))).toEqual([]);
    expect([...fromA, ...fromB].map((l) => l.message).sort()).toEqual(first.map((m) => m.message).sort());
    for (const l of [...fromA, ...fromB]) expect(l.message).toBe(`m-${l.offset * 6 + l.partition}`);

    // Ctrl-C: a commits, leaves, and b is given every partition.
    expect(await a.signal("SIGINT")).toBe(0);
    const alone = await until(
      "the remaining member owning all six partitions",
      () => groups.describe("shop"),
      (d) => d.state === "Stable" && d.members.length === 1 && d.members[0].assignments.length === 6,
    );
    expect(alone.partitions.every((p) => p.committed_offset === 10 && p.lag === 0)).toBe(true);

    const second = Array.from({ length: 60 }, (_, i) => ({ message: `m-${60 + i}`, partition: i % 6 }));
    await new StreamNestClient(b2.address).produceBatch("orders", second);
    await until("120 messages committed", () => groups.describe("shop"), (d) => committedTotal(d, "orders") === 120);
    expect(await b.signal("SIGINT")).toBe(0);

    const afterB = lines(b.stdout);
    // b printed its first share, then exactly the second batch: nothing of a's share again.
    expect(afterB.slice(0, fromB.length)).toEqual(fromB);
    expect(afterB.slice(fromB.length).map((l) => l.message).sort()).toEqual(second.map((m) => m.message).sort());
    const everything = [...lines(a.stdout), ...afterB].map((l) => l.message);
    expect(everything.length).toBe(120);
    expect(new Set(everything).size).toBe(120);
    expect(a.stderr).not.toMatch(/^\s+at /m);
  });

  test("a consumer started later in the group reads only what the group has not committed", async () => {
    const [b1, b2, b3] = cluster.brokers;
    await client.createTopic("later", 3);
    const all = Array.from({ length: 30 }, (_, i) => ({ message: `l-${i}`, partition: i % 3 }));
    await client.produceBatch("later", all);

    const first = await runCli(["consumer", `--meta=${b1.address}`, "--group=late", "--topic=later", "--max=12", "--format=json"]);
    expect(first.exitCode).toBe(0);
    const firstLines = lines(first.stdout);
    expect(firstLines.length).toBe(12);
    const committed = await groups.offsets("late", "later");
    expect(committed.reduce((s, o) => s + o.offset, 0)).toBe(12);

    const second = await runCli(["consumer", `--meta=${b2.address}`, "--group=late", "--topic=later", "--max=18", "--format=json"]);
    expect(second.exitCode).toBe(0);
    const secondLines = lines(second.stdout);
    expect(secondLines.length).toBe(18);
    expect([...firstLines, ...secondLines].map((l) => l.message).sort()).toEqual(all.map((m) => m.message).sort());

    // Everything is committed now: a third member prints only what arrives after.
    await client.produceBatch("later", [{ message: "late-news", partition: 1 }]);
    const third = await runCli(["consumer", `--meta=${b3.address}`, "--group=late", "--topic=later", "--max=1"]);
    expect(third.exitCode).toBe(0);
    expect(third.stdout).toBe("[Partition 1] [Offset 10] late-news\n");
    const d = await groups.describe("late");
    expect(d.state).toBe("Empty");
    expect(d.partitions.map((p) => [p.partition, p.committed_offset, p.lag])).toEqual([
      [0, 10, 0],
      [1, 11, 0],
      [2, 10, 0],
    ]);
  });

  test("wrong use of --group is one clear line and exit 1", async () => {
    const meta = `--meta=${cluster.brokers[0].address}`;
    const withPartition = await runCli(["consumer", meta, "--group=x", "--topic=later", "--partition=0"]);
    expect(withPartition.exitCode).toBe(1);
    expect(withPartition.stdout).toBe("");
    expect(withPartition.stderr.trim()).toBe("[error] --partition cannot be used with --group: the group assigns the partitions");
    const unknown = await runCli(["consumer", meta, "--group=x", "--topic=nope"]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('topic "nope" does not exist');
    expect(unknown.stderr).toContain("orders");
    expect(unknown.stderr).not.toContain("__consumer_offsets");
    expect(unknown.stderr).not.toMatch(/^\s+at /m);
  });
});
