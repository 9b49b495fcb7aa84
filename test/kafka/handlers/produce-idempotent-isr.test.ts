import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessControl } from "../../../src/auth/access-control.ts";
import { Broker } from "../../../src/broker/broker.ts";
import { brokerConfig } from "../../../src/broker/config.ts";
import { ConnectionAuth } from "../../../src/kafka/connection-auth.ts";
import type { ConnectionInfo, KafkaContext } from "../../../src/kafka/context.ts";
import { DecompressedGate } from "../../../src/kafka/decompressed-gate.ts";
import { ClassicGroups } from "../../../src/kafka/groups/classic-groups.ts";
import { handleProduce } from "../../../src/kafka/handlers/produce.ts";
import { ProducerStates } from "../../../src/kafka/producer-state.ts";
import { encodeRecordBatch, KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";

/**
 * An idempotent producer (KIP-98) whose acks=all batch was appended when the ISR shrank
 * below min.insync.replicas, as a tester found with librdkafka: a follower frozen (SIGSTOP)
 * under min.insync.replicas = replication factor. The batch is in the log but not
 * acknowledged; the producer's next batch must not be OUT_OF_ORDER_SEQUENCE_NUMBER (fatal
 * to librdkafka, which then dropped ~940 queued messages), and its retry must not be
 * written twice. Kafka records a producer's sequence on the append.
 */

let root: string;
let broker: Broker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
  rmSync(root, { recursive: true, force: true });
});

const conn: ConnectionInfo = { clientHost: "127.0.0.1", closed: new AbortController().signal, auth: new ConnectionAuth(false), endAfterAnswer: () => {} };

function batch(producerId: bigint, baseSequence: number, value: string): Uint8Array {
  return encodeRecordBatch({
    producerId,
    producerEpoch: 0,
    baseSequence,
    records: [{ key: null, value: new TextEncoder().encode(value), headers: [], timestamp: 1000n, offsetDelta: 0 }],
  });
}

test("a batch appended before the ISR shrank: the next batch waits for replicas (not OUT_OF_ORDER), the retry is not written twice", async () => {
  root = mkdtempSync(join(tmpdir(), "streamnest-idem-isr-"));
  const self = { id: 1, address: "one:1" };
  // A partition led here with one follower (broker 2) that never fetches: as frozen.
  const b = Broker.open(brokerConfig({ id: 1, dataDir: join(root, "b1"), leaderWaitMs: 0 }), {
    directory: { self, brokers: () => [self, { id: 2, address: "two:2" }] },
  });
  broker = b;
  expect(await b.createTopic("t", 1, { replicationFactor: 2 })).toBe("created");
  const meta = b.metadata.topic("t")!;
  const log = b.replicaHost().replicaLog("t", meta.id, 0)!;
  log.assignEpoch(0, 0);
  const ctx: KafkaContext = {
    broker: b,
    options: { host: "127.0.0.1", port: 0, advertise: "localhost:0", maxRequestBytes: 1 << 20, maxConnections: 10, autoCreateTopics: false, defaultPartitions: 1 },
    kafkaAddressOf: () => undefined,
    producers: new ProducerStates(1),
    decompressed: new DecompressedGate(1 << 20),
    groups: new ClassicGroups(),
    lifetime: new AbortController().signal,
    log: () => {},
    access: new AccessControl({ mode: "none", security: () => b.security() }),
    sasl: undefined,
    countRequest: () => {},
  };
  const produce = async (records: Uint8Array) => {
    const answer = await handleProduce(ctx, {
      body: { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: "t", partitionData: [{ index: 0, records }] }] },
      version: 9,
      clientId: "t",
      conn,
      signals: { frameDone: () => {}, appended: () => {} },
    });
    const p = answer!.responses[0].partitionResponses[0];
    return [p.errorCode, p.baseOffset];
  };
  const isr = (members: number[], partitionEpoch: number) =>
    b.metadata.apply({
      type: "alter-partition",
      topic: "t",
      topicId: meta.id,
      partition: 0,
      leader: 1,
      isr: members,
      leaderEpoch: 0,
      partitionEpoch,
      expectedLeaderEpoch: 0,
      expectedPartitionEpoch: partitionEpoch - 1,
    });
  const id = ctx.producers.allocate();
  // Sequence 0 is appended and waits for broker 2; the ISR then shrinks to the leader alone.
  const first = produce(batch(id, 0, "a"));
  await Bun.sleep(50);
  expect(log.endOffset).toBe(1);
  isr([1], 1);
  // As the leader's replication driver does: with the leader alone in the ISR, the high watermark is its log end.
  log.setHighWatermark(1);
  expect((await first)[0]).toBe(KAFKA_ERROR.REQUEST_TIMED_OUT);
  // The producer's next batch and its retry: too few in-sync replicas, retriable; nothing written.
  expect(await produce(batch(id, 1, "b"))).toEqual([KAFKA_ERROR.NOT_ENOUGH_REPLICAS, -1n]);
  expect(await produce(batch(id, 0, "a"))).toEqual([KAFKA_ERROR.NOT_ENOUGH_REPLICAS, -1n]);
  // The follower catches up and is back in the ISR (its copy ends where the leader's does):
  // the retry is the first append's, acknowledged at its offset, not a second copy.
  isr([1, 2], 2);
  expect(await produce(batch(id, 0, "a"))).toEqual([KAFKA_ERROR.NONE, 0n]);
  expect(log.endOffset).toBe(1);
  // A sequence past the next is still out of order.
  expect((await produce(batch(id, 5, "x")))[0]).toBe(KAFKA_ERROR.OUT_OF_ORDER_SEQUENCE_NUMBER);
});
