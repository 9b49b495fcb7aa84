import { afterEach, describe, expect, test } from "bun:test";
import { decodeRecordBatches, KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "./support/in-process.ts";

/**
 * A single-partition consumer's next range is read ahead (fetch-ahead.ts): what it gets
 * must be exactly what a read at that moment gives, counted once, and never what an
 * earlier incarnation of the topic held.
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const enc = new TextEncoder();
const dec = new TextDecoder();

async function fetchOnce(client: RawClient, topic: string, offset: bigint, partitionMaxBytes: number) {
  const answer = await client.call("Fetch", 12, {
    maxWaitMs: 0,
    minBytes: 0,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes }] }],
  });
  const p = answer.responses[0].partitions[0];
  const records = decodeRecordBatches(p.records ?? new Uint8Array(0)).flatMap((b) => b.records);
  return { errorCode: p.errorCode, highWatermark: p.highWatermark, records: records.map((r) => [r.offset, dec.decode(r.value ?? undefined)] as const) };
}

/** Lets the read ahead scheduled after an answer (setImmediate) run before the next Fetch. */
const settle = () => Bun.sleep(20);

describe("Fetch read-ahead", () => {
  test("a consumer fetching in order gets every record once, in order, and the broker counts each once", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("ahead", 1);
    const want = Array.from({ length: 300 }, (_, i) => `record ${i} ${"v".repeat(80)}`);
    for (let i = 0; i < want.length; i += 50)
      await running.broker.produceBatch("ahead", want.slice(i, i + 50).map((v) => ({ key: null, value: enc.encode(v), headers: [], partition: 0 })));
    const got: (readonly [bigint, string])[] = [];
    let answers = 0;
    while (got.length < want.length) {
      const next = await fetchOnce(client, "ahead", BigInt(got.length), 4000);
      expect(next.errorCode).toBe(KAFKA_ERROR.NONE);
      expect(next.highWatermark).toBe(300n);
      expect(next.records.length).toBeGreaterThan(0);
      got.push(...next.records);
      answers++;
      await settle();
    }
    expect(answers).toBeGreaterThan(5);
    expect(got).toEqual(want.map((v, i) => [BigInt(i), v] as const));
    expect(running.broker.stats().consumedByTopic.ahead).toBe(300);
  });

  test("records appended after a read ahead are served with the next answers, and the high watermark is today's", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("grow", 1);
    const produce = (from: number, n: number) =>
      running!.broker.produceBatch("grow", Array.from({ length: n }, (_, i) => ({ key: null, value: enc.encode(`g${from + i} ${"w".repeat(60)}`), headers: [], partition: 0 })));
    await produce(0, 100);
    const first = await fetchOnce(client, "grow", 0n, 2000);
    await settle();
    await produce(100, 20);
    const second = await fetchOnce(client, "grow", BigInt(first.records.length), 2000);
    expect(second.highWatermark).toBe(120n);
    expect(second.records[0]).toEqual([BigInt(first.records.length), `g${first.records.length} ${"w".repeat(60)}`]);
  });

  test("a topic deleted and created again between two fetches is read anew, never from what was read ahead", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("again", 1);
    const fill = (tag: string) =>
      running!.broker.produceBatch("again", Array.from({ length: 200 }, (_, i) => ({ key: null, value: enc.encode(`${tag}${i} ${"z".repeat(70)}`), headers: [], partition: 0 })));
    await fill("old");
    const first = await fetchOnce(client, "again", 0n, 3000);
    expect(first.records[0][1]).toStartWith("old0 ");
    await settle();
    await running.broker.deleteTopic("again");
    await running.broker.createTopic("again", 1);
    await fill("new");
    const n = first.records.length;
    const second = await fetchOnce(client, "again", BigInt(n), 3000);
    expect(second.records.length).toBeGreaterThan(0);
    expect(second.records.every(([, v]) => v.startsWith("new"))).toBe(true);
    expect(second.records[0]).toEqual([BigInt(n), `new${n} ${"z".repeat(70)}`]);
  });

  test("a fetch of another offset than the one read ahead gets that offset's records", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    await running.broker.createTopic("seek", 1);
    await running.broker.produceBatch("seek", Array.from({ length: 200 }, (_, i) => ({ key: null, value: enc.encode(`s${i} ${"q".repeat(70)}`), headers: [], partition: 0 })));
    await fetchOnce(client, "seek", 0n, 3000);
    await settle();
    const back = await fetchOnce(client, "seek", 5n, 3000);
    expect(back.records[0]).toEqual([5n, `s5 ${"q".repeat(70)}`]);
  });
});
