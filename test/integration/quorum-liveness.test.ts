import { afterAll, beforeAll, expect, test } from "bun:test";
import { get } from "../helpers/cluster-http.ts";
import { type QuorumCluster, startQuorumCluster } from "../helpers/quorum-cluster.ts";
import { untilTrue } from "../helpers/until.ts";

/**
 * Every broker registers with the quorum leader under an incarnation and heartbeats; a
 * broker silent for the session timeout is fenced in the metadata log, and registers
 * again, unfenced and with a later incarnation, when it comes back.
 */

interface BrokerView {
  id: number | null;
  fenced?: boolean | null;
  incarnation?: number | null;
}

let cluster: QuorumCluster;

beforeAll(async () => {
  cluster = await startQuorumCluster(3, { args: ["--session-timeout-ms=1000"] });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const views = async (via: number) => (await get<{ brokers: BrokerView[] }>(cluster.broker(via), "/cluster")).body.brokers;

test("a broker killed -9 is fenced after the session timeout, and registers again with a later incarnation when back", async () => {
  await untilTrue("all three registered and unfenced", async () => (await views(1)).every((b) => b.fenced === false), 20_000);
  const leader = await cluster.leader();
  const victim = [1, 2, 3].find((id) => id !== leader)!;
  const witness = [1, 2, 3].find((id) => id !== leader && id !== victim)!;
  const before = (await views(witness)).find((b) => b.id === victim)!;
  expect(before.fenced).toBe(false);

  await cluster.broker(victim).kill9();
  await untilTrue(`broker ${victim} fenced on every survivor`, async () => {
    for (const id of [leader, witness]) if ((await views(id)).find((b) => b.id === victim)?.fenced !== true) return false;
    return true;
  }, 20_000);
  // The survivors are not fenced.
  expect((await views(witness)).filter((b) => b.id !== victim).map((b) => b.fenced)).toEqual([false, false]);
  // A topic created while it is fenced gets no partition on it: no leader and no replica;
  // its default factor, 3, is capped at the 2 live brokers.
  expect((await cluster.create(witness, "while-fenced", 4)).body.status).toBe("created");
  type Placed = { replication_factor?: number; partitions: Array<{ leader: number; replicas?: number[] }> };
  const placed = (await get<{ topic_partitions: Record<string, Placed> }>(cluster.broker(witness), "/metadata")).body;
  expect(placed.topic_partitions["while-fenced"]!.partitions.map((p) => p.leader).includes(victim)).toBe(false);
  expect(placed.topic_partitions["while-fenced"]!.replication_factor).toBe(2);
  expect(placed.topic_partitions["while-fenced"]!.partitions.map((p) => [...(p.replicas ?? [])].sort())).toEqual(
    [0, 1, 2, 3].map(() => [leader, witness].sort()),
  );

  await cluster.start(victim);
  await untilTrue(`broker ${victim} unfenced again`, async () => (await views(witness)).find((b) => b.id === victim)?.fenced === false, 20_000);
  const after = (await views(witness)).find((b) => b.id === victim)!;
  expect(after.incarnation!).toBeGreaterThan(before.incarnation!);
}, 90_000);
