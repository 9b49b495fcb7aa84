import { expect, test } from "bun:test";
import { placePartitions } from "../../src/broker/metadata-placement.ts";

const brokers = [3, 1, 2].map((id) => ({ id, address: `b${id}:1` }));

test("one replica: partition p on the broker at p mod N, as the seed places them", () => {
  expect(placePartitions(brokers, 4).map((p) => [p.partition, p.leader, p.replicas])).toEqual([
    [0, 1, [1]],
    [1, 2, [2]],
    [2, 3, [3]],
    [3, 1, [1]],
  ]);
});

test("three replicas: the preferred leader first, followers shifted so pairs spread", () => {
  const placed = placePartitions(brokers, 6, 3);
  expect(placed.map((p) => p.replicas)).toEqual([
    [1, 2, 3],
    [2, 3, 1],
    [3, 1, 2],
    [1, 3, 2],
    [2, 1, 3],
    [3, 2, 1],
  ]);
  for (const p of placed) {
    expect(p.isr).toEqual(p.replicas);
    expect(p.leader).toBe(p.replicas[0]);
    expect(p.partitionEpoch).toBe(0);
  }
  // Every broker leads two and follows four.
  for (const id of [1, 2, 3]) expect(placed.filter((p) => p.replicas.includes(id) && p.leader !== id)).toHaveLength(4);
});

test("a factor above the broker count is refused naming both", () => {
  expect(() => placePartitions(brokers, 1, 4)).toThrow("replication factor 4 needs 4 brokers; the cluster has 3");
});
