import { describe, expect, test } from "bun:test";
import { FORWARD, REFUSE, routePartition, servedForwarded } from "../../src/broker/partition-router.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const two = { id: 2, address: "two:9092" };
const lookups: number[] = [];
const leaderOf = (id: number) => {
  lookups.push(id);
  return id === 2 ? two : { id, address: `broker-${id}` };
};

function refusal(run: () => unknown): StreamNestError {
  try {
    run();
  } catch (error) {
    if (error instanceof StreamNestError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("partition router", () => {
  test("a partition led here is served here under every policy, without looking the leader up", () => {
    lookups.length = 0;
    for (const policy of [FORWARD, REFUSE, servedForwarded(3)]) expect(routePartition(1, 1, leaderOf, "t", 0, policy)).toBeUndefined();
    expect(lookups).toEqual([]);
  });

  test("FORWARD sends a call for another leader's partition to that leader", () => {
    expect(routePartition(1, 2, leaderOf, "t", 4, FORWARD)).toEqual(two);
  });

  test("REFUSE answers NOT_LEADER_OR_FOLLOWER naming the leader", () => {
    const error = refusal(() => routePartition(1, 2, leaderOf, "t", 4, REFUSE));
    expect(error.code).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(error.message).toBe('partition 4 of topic "t" is led by broker 2 (two:9092), not this one');
    expect(error.details).toEqual({ leader: 2, broker: "two:9092" });
    expect(error.retriable).toBe(true);
  });

  test("a forwarded call is never forwarded again", () => {
    const error = refusal(() => routePartition(1, 2, leaderOf, "t", 4, servedForwarded(7)));
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toBe(
      'partition 4 of topic "t" was forwarded here by broker 7, but this broker\'s metadata says broker 2 (two:9092) leads it; the brokers\' metadata disagree for a moment, retry',
    );
    expect(refusal(() => routePartition(1, 2, leaderOf, "t", 4, servedForwarded(null))).message).toStartWith(
      'partition 4 of topic "t" was forwarded here, but',
    );
  });
});
