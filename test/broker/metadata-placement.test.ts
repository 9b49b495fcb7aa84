import { StreamNestError } from "../../src/lib/errors.ts";
import { describe, expect, test } from "bun:test";
import { placePartitions } from "../../src/broker/metadata-placement.ts";

const broker = (id: number) => ({ id, address: `host${id}:${8080 + id}` });

describe("placePartitions", () => {
  test("partition p is led by the broker at position p mod N of the brokers sorted by id", () => {
    // Given unsorted: the answer must not depend on the order the brokers are known in.
    const placed = placePartitions([broker(3), broker(1), broker(2)], 5);
    expect(placed).toEqual([
      { partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 },
      { partition: 1, replicas: [2], leader: 2, leaderEpoch: 0 },
      { partition: 2, replicas: [3], leader: 3, leaderEpoch: 0 },
      { partition: 3, replicas: [1], leader: 1, leaderEpoch: 0 },
      { partition: 4, replicas: [2], leader: 2, leaderEpoch: 0 },
    ]);
    expect(placePartitions([broker(2), broker(3), broker(1)], 5)).toEqual(placed);
  });

  test("sorts ids as numbers, and leaves its input alone", () => {
    const brokers = [broker(10), broker(9), broker(2)];
    expect(placePartitions(brokers, 3).map((a) => a.leader)).toEqual([2, 9, 10]);
    expect(brokers.map((b) => b.id)).toEqual([10, 9, 2]);
  });

  test("one broker leads everything; zero partitions is empty; no brokers is refused", () => {
    expect(placePartitions([broker(7)], 3).map((a) => a.leader)).toEqual([7, 7, 7]);
    expect(placePartitions([broker(1)], 0)).toEqual([]);
    let refusal: unknown;
    try {
      placePartitions([], 1);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(StreamNestError);
    expect((refusal as StreamNestError).code).toBe("LEADER_UNAVAILABLE");
    expect((refusal as StreamNestError).message).toBe("no broker is available to hold the partitions");
  });
});

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
