import { describe, expect, test } from "bun:test";
import { buildOverview } from "../../src/console/overview-model.ts";
import type { ClusterAnswer, MetadataAnswer } from "../../src/console/types.ts";

const broker = (id: number, alive: boolean, extra: Partial<ClusterAnswer["brokers"][number]> = {}) => ({
  id,
  address: `localhost:${8079 + id}`,
  alive,
  controller: id === 1,
  self: id === 1,
  metadata_version: 3,
  last_heartbeat_ms: alive ? 10 : 9000,
  ...extra,
});

const metadata = (isr = false): MetadataAnswer => ({
  topic_partitions: {
    demo: {
      partitions: [
        { partition: 0, broker: "localhost:8080", leader: 1, ...(isr ? { replicas: [1, 2, 3], isr: [1, 2, 3] } : {}) },
        { partition: 1, broker: "localhost:8081", leader: 2, ...(isr ? { replicas: [2, 3, 1], isr: [2, 1] } : {}) },
        { partition: 2, broker: "localhost:8082", leader: 3, ...(isr ? { replicas: [3, 1, 2], isr: [3] } : {}) },
      ],
    },
    orders: { partitions: [{ partition: 0, broker: "localhost:8082", leader: 3 }] },
  },
  brokers: [],
  version: 3,
});

describe("overview model", () => {
  test("a healthy cluster: partitions led, no warnings, ISR not reported", () => {
    const o = buildOverview({ broker: 1, controller: 1, metadata_version: 3, brokers: [broker(3, true), broker(1, true), broker(2, true)] }, metadata());
    expect(o.brokers.map((b) => [b.id, b.state, b.partitionsLed, b.controller, b.quorumLeader, b.diskBytes])).toEqual([
      [1, "alive", 1, true, null, null],
      [2, "alive", 1, false, null, null],
      [3, "alive", 2, false, null, null],
    ]);
    expect(o.topics).toBe(2);
    expect(o.partitions).toBe(4);
    expect(o.offline).toBe(0);
    expect(o.underReplicated).toBeNull();
    expect(o.warnings).toEqual([]);
  });

  test("a broker down: marked unreachable, its partitions offline, warned", () => {
    const o = buildOverview({ broker: 1, controller: 1, metadata_version: 3, brokers: [broker(1, true), broker(2, true), broker(3, false)] }, metadata());
    expect(o.brokers[2].state).toBe("unreachable");
    expect(o.offline).toBe(2);
    expect(o.warnings).toEqual(["Broker 3 (localhost:8082) is unreachable: it leads 2 partitions", "2 partitions have no live leader (offline)"]);
  });

  test("replication fields light up when the API reports them", () => {
    const cluster: ClusterAnswer = {
      broker: 1,
      controller: 1,
      metadata_version: 3,
      quorum_leader: 2,
      brokers: [broker(1, true, { disk_bytes: 2048 }), broker(2, true), broker(3, true, { fenced: true })],
    };
    const o = buildOverview(cluster, metadata(true));
    expect(o.brokers.map((b) => [b.id, b.state, b.quorumLeader, b.diskBytes])).toEqual([
      [1, "alive", false, 2048],
      [2, "alive", true, null],
      [3, "fenced", false, null],
    ]);
    expect(o.underReplicated).toBe(2);
    expect(o.offline).toBe(2);
    expect(o.warnings).toEqual([
      "Broker 3 (localhost:8082) is fenced: it leads 2 partitions",
      "2 partitions have no live leader (offline)",
      "2 partitions are under-replicated",
    ]);
  });

  test("a peer that never answered has no id", () => {
    const o = buildOverview(
      { broker: 1, controller: 1, metadata_version: 1, brokers: [broker(1, true), { ...broker(2, false), id: null, address: "host:1" }] },
      { topic_partitions: {}, brokers: [], version: 1 },
    );
    expect(o.brokers.map((b) => [b.id, b.state])).toEqual([
      [1, "alive"],
      [null, "unreachable"],
    ]);
    expect(o.warnings).toEqual(["host:1 is unreachable"]);
  });
});
