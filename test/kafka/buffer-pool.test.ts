import { afterEach, describe, expect, test } from "bun:test";
import { decodeRecordBatches, encodeRecordBatch, KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { KAFKA_BUFFERS, ReadMemory } from "../../src/kafka/buffer-pool.ts";
import { RawClient, startInProcess } from "./support/in-process.ts";

/**
 * The Kafka listener's pooled memory (buffer-pool.ts) is reused only once nothing reads
 * it: a produced batch large enough to be pooled and small enough for the tail cache to
 * keep is served from that cache, and must read the same after the answers, requests and
 * batches that came after it took and gave back pooled buffers.
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("pooled Kafka buffers", () => {
  test("a read gives back only the buffers it took, not others of the pool still in use (a batch the tail cache keeps)", () => {
    const kept = KAFKA_BUFFERS.take(100_000);
    const read = new ReadMemory();
    const mine = read.take(100_000);
    const free = KAFKA_BUFFERS.freeBytes;
    read.giveBack();
    expect(KAFKA_BUFFERS.freeBytes).toBe(free + mine.buffer.byteLength);
    // Given back once: a second giveBack, or one after more takes elsewhere, returns nothing more.
    read.giveBack();
    expect(KAFKA_BUFFERS.freeBytes).toBe(free + mine.buffer.byteLength);
    // The buffer in use elsewhere is not handed out again.
    const next = [KAFKA_BUFFERS.take(100_000), KAFKA_BUFFERS.take(100_000)];
    expect(next.some((b) => b.buffer === kept.buffer)).toBe(false);
    for (const b of [kept, ...next]) KAFKA_BUFFERS.give(b);
  });

  test("records kept by the tail cache in a pooled batch stay intact while more is produced and fetched", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("pool", 1);
    // About 90 KB: pooled (64 KiB and more), kept by the tail cache (1 MiB per partition).
    const batch = (tag: string) =>
      encodeRecordBatch({ records: Array.from({ length: 800 }, (_, i) => ({ value: enc.encode(`${tag}${i} ${"p".repeat(100)}`), timestamp: 1_700_000_000_000n })) });
    const produce = async (tag: string) => {
      const answer = await client.call("Produce", 9, { acks: 1, timeoutMs: 1000, topicData: [{ name: "pool", partitionData: [{ index: 0, records: batch(tag) }] }] });
      expect(answer.responses[0].partitionResponses[0].errorCode).toBe(KAFKA_ERROR.NONE);
    };
    const fetchAt = async (offset: number) => {
      const answer = await client.call("Fetch", 12, {
        maxWaitMs: 0,
        minBytes: 0,
        topics: [{ topic: "pool", partitions: [{ partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes: 200_000 }] }],
      });
      return decodeRecordBatches(answer.responses[0].partitions[0].records ?? new Uint8Array(0))
        .flatMap((b) => b.records)
        .map((r) => dec.decode(r.value ?? undefined));
    };
    await produce("a");
    const first = await fetchAt(0);
    expect(first.slice(0, 800)).toEqual(Array.from({ length: 800 }, (_, i) => `a${i} ${"p".repeat(100)}`));
    for (const tag of ["b", "c", "d", "e"]) {
      await produce(tag);
      await fetchAt(800);
    }
    expect((await fetchAt(0)).slice(0, 800)).toEqual(first.slice(0, 800));
  });
});
