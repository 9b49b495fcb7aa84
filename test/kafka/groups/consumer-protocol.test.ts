import { describe, expect, test } from "bun:test";
import { assignedPartitions, encodeAssignment, encodeSubscription, subscribedTopics } from "../../../src/kafka/groups/consumer-protocol.ts";

/** Kafka's ConsumerProtocolSubscription v0 for topics "a" and "bc", with empty user data. */
const SUBSCRIPTION = new Uint8Array([0, 0, 0, 0, 0, 2, 0, 1, 0x61, 0, 2, 0x62, 0x63, 0xff, 0xff, 0xff, 0xff]);
/** ConsumerProtocolAssignment v1 giving "a" partitions 0 and 2, "bc" partition 1, then user data of 1 byte. */
const ASSIGNMENT = new Uint8Array([
  0, 1, 0, 0, 0, 2, 0, 1, 0x61, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0x62, 0x63, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7,
]);

describe("the consumer protocol's bytes", () => {
  test("a subscription's topics and an assignment's partitions read as Kafka's clients write them", () => {
    expect(subscribedTopics(SUBSCRIPTION)).toEqual(["a", "bc"]);
    expect(assignedPartitions(ASSIGNMENT)).toEqual([
      { topic: "a", partition: 0 },
      { topic: "a", partition: 2 },
      { topic: "bc", partition: 1 },
    ]);
    expect(assignedPartitions(new Uint8Array(0))).toEqual([]);
  });

  test("bytes of another layout give undefined, never guessed topics or a throw", () => {
    for (const bad of [new Uint8Array([1]), new Uint8Array([0, 0, 0x7f, 0xff, 0xff, 0xff]), SUBSCRIPTION.subarray(0, 9), new Uint8Array([0xff, 0xff, 0, 0, 0, 0])]) {
      expect(subscribedTopics(bad)).toBeUndefined();
      expect(assignedPartitions(bad)).toBeUndefined();
    }
    // A topic name that is not UTF-8.
    expect(subscribedTopics(new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 0xff]))).toBeUndefined();
  });

  test("an HTTP group's members are written as version 0 with null user data, byte for byte as Kafka's clients write it", () => {
    expect(encodeSubscription(["a", "bc"])).toEqual(SUBSCRIPTION);
    // "a" 0 and 2, "bc" 1, grouped by topic in the order first seen; v0, user data null (-1).
    expect(encodeAssignment([{ topic: "a", partition: 0 }, { topic: "bc", partition: 1 }, { topic: "a", partition: 2 }])).toEqual(
      new Uint8Array([0, 0, 0, 0, 0, 2, 0, 1, 0x61, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0x62, 0x63, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]),
    );
    expect(encodeAssignment([])).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    // Names are UTF-8, their length in bytes.
    expect(subscribedTopics(encodeSubscription(["ünï", "x"]))).toEqual(["ünï", "x"]);
    expect(assignedPartitions(encodeAssignment([{ topic: "ünï", partition: 7 }]))).toEqual([{ topic: "ünï", partition: 7 }]);
  });
});
