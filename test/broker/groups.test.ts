import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { startingOffset } from "../../src/broker/groups.ts";
import { parseGroupCall } from "../../src/broker/group-calls.ts";
import { OFFSETS_TOPIC } from "../../src/groups/offsets-topic.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { rec, recs } from "./records.ts";

const dirs: string[] = [];
const brokers: Broker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir: string, log: Parameters<typeof brokerConfig>[0]["log"] = {}, retentionCheckMs = 30_000): Broker {
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 9999, log, retentionCheckMs }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: () => {},
    offsetsPartitions: 3,
  });
  brokers.push(broker);
  return broker;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-groups-broker-"));
  dirs.push(dir);
  return dir;
}

describe("startingOffset (Kafka's auto.offset.reset rule)", () => {
  const range = { startOffset: 5, endOffset: 20 };
  test("a committed offset inside the log wins", () => {
    expect(startingOffset(7, range, "latest")).toBe(7);
    expect(startingOffset(20, range, "earliest")).toBe(20);
    expect(startingOffset(5, range, "latest")).toBe(5);
  });
  test("without one, or with one outside the log, the reset policy decides", () => {
    expect(startingOffset(undefined, range, "earliest")).toBe(5);
    expect(startingOffset(undefined, range, "latest")).toBe(20);
    expect(startingOffset(2, range, "earliest")).toBe(5);
    expect(startingOffset(21, range, "latest")).toBe(20);
  });
  test("a negative commit (a Kafka client's -1 or -2) names no record: the reset policy decides", () => {
    expect(startingOffset(-2, range, "latest")).toBe(20);
    expect(startingOffset(-1, range, "earliest")).toBe(5);
    expect(startingOffset(-2, undefined, "earliest")).toBe(0);
  });
  test("an unknown range: the commit, else 0 for earliest, else a retriable error", () => {
    expect(startingOffset(9, undefined, "latest")).toBe(9);
    expect(startingOffset(undefined, undefined, "earliest")).toBe(0);
    expect(() => startingOffset(undefined, undefined, "latest")).toThrow(StreamNestError);
  });
});

describe("parseGroupCall (calls from other brokers)", () => {
  test("accepts each op's shape and refuses anything else", () => {
    expect(parseGroupCall({ op: "list" })).toEqual({ op: "list" });
    expect(parseGroupCall({ op: "heartbeat", group: "g", memberId: "m", generation: 2 })).toEqual({
      op: "heartbeat",
      group: "g",
      memberId: "m",
      generation: 2,
    });
    expect(parseGroupCall({ op: "join", group: "g", request: { topics: ["t"], waitMs: 5 } })).toEqual({
      op: "join",
      group: "g",
      request: { topics: ["t"], waitMs: 5 },
    });
    for (const bad of [null, [], { op: "drop" }, { op: "describe" }, { op: "join", group: "g" }, { op: "heartbeat", group: "g", memberId: "m" }, { op: "commit", group: "g", request: { offsets: [{ topic: "t" }] } }, { op: "partition-offsets" }])
      expect(() => parseGroupCall(bad)).toThrow(StreamNestError);
  });
});

describe("GroupService inside a broker", () => {
  test("__consumer_offsets is created with the configured partitions and left alone by retention", async () => {
    const dir = tempDir();
    // Tiny segments and a tiny byte budget: retention deletes old segments of every other topic.
    const broker = open(dir, { segmentBytes: 200, retentionBytes: 400 }, 20);
    await broker.createTopic("t", 1);
    await broker.produceBatch("t", recs(Array.from({ length: 40 }, (_, i) => ({ message: `message number ${i}`, partition: 0 }))));
    const member = await broker.groups.join("g", { topics: ["t"] });
    expect(broker.metadata.topic(OFFSETS_TOPIC)?.partitions).toHaveLength(3);
    expect(broker.listTopics()).toEqual(["t"]);
    expect(broker.listTopics(true)).toEqual([OFFSETS_TOPIC, "t"]);
    for (let i = 1; i <= 30; i++)
      await broker.groups.commit("g", { memberId: member.memberId, generation: member.generation, offsets: [{ topic: "t", partition: 0, offset: i }] });
    // Wait for retention to have run on the user topic (a condition, not a time).
    while ((broker.describeTopic("t").partitions[0].startOffset ?? 0) === 0) await Bun.sleep(10);
    const start = broker.describeTopic("t").partitions[0].startOffset ?? 0;
    expect(broker.describeTopic(OFFSETS_TOPIC).partitions.every((p) => p.startOffset === 0)).toBe(true);

    // A commit below the log's start is out of range: the member restarts at the start.
    await broker.groups.commit("g", { memberId: member.memberId, generation: member.generation, offsets: [{ topic: "t", partition: 0, offset: start - 1 }] });
    const rejoined = await broker.groups.join("g", { topics: ["t"], memberId: member.memberId });
    expect(rejoined.assignments).toEqual([{ topic: "t", partition: 0, committedOffset: start - 1, offset: start }]);

    await broker.close();
    brokers.pop();
    const reopened = open(dir, { segmentBytes: 200, retentionBytes: 400 }, 20);
    expect((await reopened.groups.offsets("g")).map((o) => o.offset)).toEqual([start - 1]);
    expect((await reopened.groups.describe("g")).generation).toBe(1);
  });

  test("group metrics report members, committed offsets and lag of the groups coordinated here", async () => {
    const broker = open(tempDir());
    await broker.createTopic("t", 2);
    await broker.produceBatch("t", recs(Array.from({ length: 10 }, (_, i) => ({ message: `m${i}`, partition: i % 2 }))));
    const m = await broker.groups.join("metered", { topics: ["t"] });
    await broker.groups.commit("metered", { memberId: m.memberId, generation: m.generation, offsets: [{ topic: "t", partition: 1, offset: 2 }] });
    const text = await broker.metrics.text();
    expect(text).toContain('streamnest_group_members{group="metered"} 1');
    expect(text).toContain('streamnest_group_generation{group="metered"} 1');
    expect(text).toContain('streamnest_group_committed_offset{group="metered",topic="t",partition="1"} 2');
    expect(text).toContain('streamnest_group_lag{group="metered",topic="t",partition="1"} 3');
    expect(text).not.toContain('streamnest_group_lag{group="metered",topic="t",partition="0"}');
  });
});
