import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroupService, type GroupHost } from "../../src/broker/groups.ts";
import type { AlterPartitionChange, BrokerRef } from "../../src/broker/metadata.ts";
import { placePartitions } from "../../src/broker/metadata-placement.ts";
import { MetadataStore } from "../../src/broker/metadata-store.ts";
import { noPeerTransport } from "../../src/broker/peer-transport.ts";
import type { OffsetsLog } from "../../src/groups/offset-store.ts";
import { OFFSETS_TOPIC } from "../../src/groups/offsets-topic.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { PartitionLog } from "../../src/storage/partition-log.ts";

/**
 * A broker restarted after a kill -9 holds the metadata it had when it went down: it
 * still names itself the leader (epoch 0) of the offsets partition that another broker
 * led meanwhile (epoch 1), taking commits this broker's log lacks. Its group service
 * must catch up with the quorum before it routes or answers a group call; it used to
 * answer from the shard it loaded on the stale metadata (the flake of
 * test/integration/groups-coordinator-failover.test.ts).
 */

const BROKERS: BrokerRef[] = [
  { id: 1, address: "127.0.0.1:1" },
  { id: 2, address: "127.0.0.1:2" },
];

let dir: string;
let store: MetadataStore;
let log: PartitionLog;
const services: GroupService[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "streamnest-groups-catch-up-"));
  store = MetadataStore.open(join(dir, "meta"), BROKERS);
  store.apply({ type: "create-topic", topic: "t", topicId: "t-id", partitions: placePartitions(BROKERS.slice(0, 1), 1), createdAt: 1 });
  // One offsets partition on brokers 1 and 2, led by broker 1 in epoch 0.
  store.apply({ type: "create-topic", topic: OFFSETS_TOPIC, topicId: "offsets-id", partitions: placePartitions(BROKERS, 1, 2), createdAt: 1 });
  log = PartitionLog.open(join(dir, "offsets-0"), { fsync: "never" }, () => {});
});

afterEach(async () => {
  for (const s of services.splice(0)) s.close();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the quorum committed while broker 1 was down: broker 2 leads the offsets partition in epoch 1. */
const failover: AlterPartitionChange = {
  type: "alter-partition",
  topic: OFFSETS_TOPIC,
  topicId: "offsets-id",
  partition: 0,
  leader: 2,
  isr: [2],
  leaderEpoch: 1,
  partitionEpoch: 1,
  expectedLeaderEpoch: 0,
  expectedPartitionEpoch: 0,
};

/** Broker 1's group service; `catchUp` is its read barrier on the quorum. */
function service(catchUp: () => Promise<boolean>, coordinatorFindWaitMs = 0): GroupService {
  const offsetsLog: OffsetsLog = {
    get startOffset() {
      return log.startOffset;
    },
    get endOffset() {
      return log.logEndOffset;
    },
    read: (offset, maxRecords, maxBytes) => log.read(offset, maxRecords, maxBytes),
    append: (records) => log.append(records),
  };
  const host: GroupHost = {
    self: BROKERS[0],
    metadata: store,
    brokers: () => BROKERS,
    createTopic: async () => "exists",
    partitionRanges: async () => new Map(),
    localLog: (topic, partition) => {
      if (topic !== OFFSETS_TOPIC || partition !== 0 || store.topic(topic)?.partitions[partition]?.leader !== 1)
        throw new StreamNestError("NOT_COORDINATOR", `partition ${partition} of "${topic}" is not led here`);
      return offsetsLog;
    },
    catchUpMetadata: catchUp,
    brokerRef: (id) => BROKERS.find((b) => b.id === id)!,
    // No cluster connection: a call routed to broker 2 is refused, naming it.
    peers: noPeerTransport,
  };
  const s = new GroupService(host, { warn: () => {}, coordinatorFindWaitMs });
  services.push(s);
  return s;
}

async function refusal(call: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof StreamNestError) return { code: error.code, details: error.details };
    throw error;
  }
  throw new Error(`answered ${JSON.stringify(await call)} instead of refusing`);
}

describe("a restarted broker's group service catches up with the metadata quorum first", () => {
  beforeEach(async () => {
    // Before the kill: broker 1 coordinates and offset 3 is committed.
    const before = service(async () => true);
    const committed = await before.commit("g", { offsets: [{ topic: "t", partition: 0, offset: 3 }] });
    expect(committed.map(({ topic, partition, offset }) => [topic, partition, offset])).toEqual([["t", 0, 3]]);
    before.close();
  });

  test("a call made on the restarted broker is routed by the caught-up metadata, not answered from the stale shard", async () => {
    let barriers = 0;
    const restarted = service(async () => {
      barriers++;
      store.apply(failover);
      return true;
    });
    expect(await refusal(restarted.offsets("g"))).toEqual({ code: "NOT_COORDINATOR", details: { coordinator: 2, address: "127.0.0.1:2" } });
    expect(await restarted.coordinatorId("g")).toBe(2);
    expect(barriers).toBe(1);
  });

  test("a call forwarded to it by a broker that still names it the coordinator is refused", async () => {
    const restarted = service(async () => {
      store.apply(failover);
      return true;
    });
    const answer = await refusal(restarted.handle({ op: "offsets", group: "g" }));
    expect(answer.code).toBe("NOT_COORDINATOR");
    expect(answer.details).toBeUndefined();
  });

  test("until the quorum confirms its metadata it coordinates nothing; then it answers what it holds", async () => {
    let reachable = false;
    const restarted = service(async () => reachable);
    expect((await refusal(restarted.offsets("g"))).code).toBe("NOT_COORDINATOR");
    expect((await refusal(restarted.handle({ op: "offsets", group: "g" }))).code).toBe("NOT_COORDINATOR");
    reachable = true;
    expect((await restarted.offsets("g")).map(({ topic, partition, offset }) => [topic, partition, offset])).toEqual([["t", 0, 3]]);
  });

  test("a call made while the quorum cannot yet confirm is answered once it can, within the wait (the flake of groups-http.test.ts)", async () => {
    // Right after a restart the broker answers /health before its first fetch from the
    // quorum leader; a group call then must wait for the barrier, not fail with a 503.
    let barriers = 0;
    const restarted = service(async () => ++barriers >= 4, 5_000);
    expect((await restarted.offsets("g")).map(({ topic, partition, offset }) => [topic, partition, offset])).toEqual([["t", 0, 3]]);
    expect(barriers).toBe(4);
  });

  test("a coordinator that stays unfound is refused once the wait is over, having been asked for again meanwhile", async () => {
    let barriers = 0;
    const restarted = service(async () => {
      barriers++;
      return false;
    }, 350);
    expect((await refusal(restarted.offsets("g"))).code).toBe("NOT_COORDINATOR");
    expect(barriers).toBeGreaterThanOrEqual(2);
  });
});
