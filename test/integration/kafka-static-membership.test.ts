import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { available, hasPythonModule, SYSTEM_PYTHON } from "../helpers/external-client.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * Static membership (KIP-345) with a real client (librdkafka through confluent-kafka-python):
 * a static consumer killed with -9 and started again under its group.instance.id gets its
 * partitions back without the group rebalancing, so the other member never stops.
 */
const present = available("confluent-kafka-python", hasPythonModule("confluent_kafka"), "apt-get install -y python3-confluent-kafka");

let broker: KafkaBroker;
const running: Subprocess[] = [];
beforeAll(async () => {
  if (present) broker = await KafkaBroker.start();
});
afterAll(async () => {
  for (const p of running) p.kill("SIGKILL");
  await broker?.stop();
});

interface Member {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  events: { event: string; partitions?: number[] }[];
}

function member(instance: string, seconds: number): Member {
  const proc = Bun.spawn(
    [SYSTEM_PYTHON, join(import.meta.dir, "kafka-clients", "confluent_static_member.py"), broker.bootstrap, "static", "static-g", instance, String(seconds)],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  running.push(proc);
  const m: Member = { proc, events: [] };
  void (async () => {
    let buffered = "";
    for await (const chunk of proc.stdout) {
      buffered += new TextDecoder().decode(chunk);
      let end: number;
      while ((end = buffered.indexOf("\n")) >= 0) {
        m.events.push(JSON.parse(buffered.slice(0, end)) as Member["events"][number]);
        buffered = buffered.slice(end + 1);
      }
    }
  })();
  return m;
}

const assigned = (m: Member): number[] | undefined => m.events.findLast((e) => e.event === "assign")?.partitions;

test.skipIf(!present)(
  "a static consumer killed and started again gets its partitions back with no rebalance of the others",
  async () => {
    const created = await fetch(`${broker.url}/create-topic`, { method: "POST", body: JSON.stringify({ topic: "static", partitions: 4 }) });
    expect(created.status).toBe(200);
    const b = member("inst-b", 60);
    const a = member("inst-a", 60);
    await untilTrue("both members assigned two partitions each", async () => assigned(a)?.length === 2 && assigned(b)?.length === 2, 30_000);
    const aPartitions = assigned(a)!;
    const bEvents = b.events.length;
    a.proc.kill("SIGKILL");
    await a.proc.exited;
    const again = member("inst-a", 60);
    await untilTrue("the restarted member assigned", async () => assigned(again) !== undefined, 30_000);
    expect(assigned(again)).toEqual(aPartitions);
    // Let a rebalance, if one were started, reach the other member.
    await Bun.sleep(3_000);
    expect(b.events.slice(bEvents)).toEqual([]);
    expect(again.events).toEqual([{ event: "assign", partitions: aPartitions }]);
    const group = (await (await fetch(`${broker.url}/groups/static-g`)).json()) as { generation: number; members: unknown[] };
    expect([group.generation, group.members.length]).toEqual([1, 2]);
  },
  90_000,
);
