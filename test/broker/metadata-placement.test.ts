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
    expect(() => placePartitions([], 1)).toThrow("placement needs at least one broker");
  });
});
