import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { rec } from "./records.ts";

/**
 * The group coordinator on a replicated `__consumer_offsets` partition led here (its
 * follower, broker 2, is absent; the test does what the replication driver would): the
 * partition is loaded only once this broker has begun its leader epoch in the log, a
 * commit is answered only once the high watermark passes it (every in-sync replica holds
 * it), and a commit is refused with nothing written while the ISR is below min ISR.
 */

let root: string;
let broker: Broker;
beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "streamnest-offsets-log-"));
  const self = { id: 1, address: "one:1" };
  broker = Broker.open(brokerConfig({ id: 1, dataDir: join(root, "b1") }), {
    directory: { self, brokers: () => [self, { id: 2, address: "two:2" }] },
    // One offsets partition: broker 1 leads it and so coordinates every group.
    offsetsPartitions: 1,
    warn: () => {},
  });
  await broker.createTopic("t", 1, { replicationFactor: 1 });
  await broker.produceBatch("t", [rec({ message: "a" }), rec({ message: "b" }), rec({ message: "c" })]);
});
afterEach(async () => {
  await broker.close();
  rmSync(root, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    if (error instanceof StreamNestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("not refused");
}

const commit = (offset: number) => broker.groups.commit("g", { offsets: [{ topic: "t", partition: 0, offset }] });

test("loaded once leadership is taken up; a commit is answered once the in-sync replicas hold it; refused below min ISR", async () => {
  // The first call creates __consumer_offsets, replicated like any topic (3 capped at the 2 brokers).
  // Its log has not begun epoch 0 yet: after a bounded wait, the group has no coordinator here.
  expect(await refusal(commit(1))).toEqual({
    code: "NOT_COORDINATOR",
    message: 'broker 1 is not the coordinator of group "g"; ask any broker again',
  });
  const meta = broker.metadata.topic("__consumer_offsets");
  expect([meta?.replicationFactor, meta?.minInsyncReplicas]).toEqual([2, 2]);
  expect(meta?.partitions).toEqual([{ partition: 0, replicas: [1, 2], leader: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 0 }]);
  const log = broker.replicaHost().replicaLog("__consumer_offsets", meta!.id, 0)!;
  expect(log.logEndOffset).toBe(0);
  // As the replication driver does on taking up leadership:
  log.assignEpoch(0, 0);

  let answered = false;
  const pending = commit(2).then((offsets) => {
    answered = true;
    return offsets;
  });
  for (let i = 0; i < 200 && log.logEndOffset === 0; i++) await Bun.sleep(5);
  await Bun.sleep(50);
  // Written on the leader, not acknowledged: the follower has not fetched it.
  expect([log.logEndOffset, log.highWatermark, answered]).toEqual([1, 0, false]);
  log.setHighWatermark(1);
  expect((await pending).map(({ topic, partition, offset }) => [topic, partition, offset])).toEqual([["t", 0, 2]]);
  expect((await broker.groups.offsets("g")).map((o) => o.offset)).toEqual([2]);

  // The follower leaves the ISR: 1 in sync, below min ISR 2.
  broker.metadata.apply({
    type: "alter-partition",
    topic: "__consumer_offsets",
    topicId: meta!.id,
    partition: 0,
    leader: 1,
    isr: [1],
    leaderEpoch: 0,
    partitionEpoch: 1,
    expectedLeaderEpoch: 0,
    expectedPartitionEpoch: 0,
  });
  expect(await refusal(commit(3))).toEqual({
    code: "NOT_ENOUGH_REPLICAS",
    message: 'partition 0 of topic "__consumer_offsets" has 1 in-sync replica (1); acks=all needs 2. Nothing was written',
  });
  expect(log.logEndOffset).toBe(1);
  expect((await broker.groups.offsets("g")).map((o) => o.offset)).toEqual([2]);
});
