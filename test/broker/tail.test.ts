import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { type BrokerConfig, brokerConfig } from "../../src/broker/config.ts";
import type { Tail } from "../../src/broker/types.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";
import { rec } from "./records.ts";

const text = new TextDecoder();
let root: string;
const open: Broker[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "streamnest-tail-"));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  rmSync(root, { recursive: true, force: true });
});

function start(overrides: Partial<BrokerConfig> = {}): Broker {
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: join(root, "b1"), port: 7001, ...overrides }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: () => {},
  });
  open.push(broker);
  return broker;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StreamNestError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return "no error";
}

/** The next batch of a tail as text, or "end" when it finished. */
async function nextBatch(iterator: AsyncIterator<{ value: Uint8Array | null; offset: number }[]>): Promise<string[] | "end"> {
  const step = await iterator.next();
  return step.done ? "end" : step.value.map((r) => `${r.offset}:${text.decode(r.value!)}`);
}

const signal = (): AbortSignal => new AbortController().signal;
const activeStreams = async (broker: Broker): Promise<number> => (await broker.metrics.activeStreams.get()).values[0].value;

describe("tailRecords", () => {
  test("delivers what is there from the offset, then each record as it is appended", async () => {
    const broker = start();
    await broker.createTopic("t", 1);
    await broker.produce("t", rec({ message: "a" }));
    await broker.produce("t", rec({ message: "b" }));
    const tail: Tail = await broker.tail({ topic: "t", partition: 0, offset: 1, signal: signal() });
    expect(tail.startOffset).toBe(1);
    const iterator = tail.records[Symbol.asyncIterator]();
    expect(await nextBatch(iterator)).toEqual(["1:b"]);
    const waiting = nextBatch(iterator);
    await broker.produce("t", rec({ message: "c" }));
    expect(await waiting).toEqual(["2:c"]);
    tail.close();
    expect(await nextBatch(iterator)).toBe("end");
    expect(await activeStreams(broker)).toBe(0);
  });

  test("counts what it delivers as consumed", async () => {
    const broker = start();
    await broker.createTopic("m", 1);
    await broker.produce("m", rec({ message: "xyz" }));
    const tail = await broker.tail({ topic: "m", partition: 0, offset: 0, signal: signal() });
    await tail.records[Symbol.asyncIterator]().next();
    tail.close();
    expect(await broker.metrics.text()).toContain('streamnest_messages_consumed_total{topic="m"} 1');
  });

  test("a never-written partition: offset 0 and the end are fine; past it is refused without creating a folder", async () => {
    const broker = start();
    await broker.createTopic("fresh", 2);
    expect(await failure(broker.tail({ topic: "fresh", partition: 1, offset: 1, signal: signal() }))).toBe(
      "OFFSET_OUT_OF_RANGE: offset 1 is outside the partition's range [0, 0]",
    );
    expect(existsSync(join(root, "b1", "fresh-1"))).toBe(false);
    const tail = await broker.tail({ topic: "fresh", partition: 1, signal: signal() });
    expect(tail.startOffset).toBe(0);
    tail.close();
    expect(await failure(broker.tail({ topic: "nope", partition: 0, signal: signal() }))).toStartWith("TOPIC_NOT_FOUND");
    expect(await failure(broker.tail({ topic: "fresh", partition: 2, signal: signal() }))).toStartWith("PARTITION_OUT_OF_RANGE");
  });

  test("the caller's abort ends the stream quietly and frees its slot", async () => {
    const broker = start();
    await broker.createTopic("a", 1);
    const controller = new AbortController();
    const tail = await broker.tail({ topic: "a", partition: 0, signal: controller.signal });
    const iterator = tail.records[Symbol.asyncIterator]();
    const waiting = nextBatch(iterator);
    expect(await activeStreams(broker)).toBe(1);
    controller.abort();
    expect(await waiting).toBe("end");
    expect(await activeStreams(broker)).toBe(0);
  });

  test("deleting the topic tells a reader still there why its stream ends", async () => {
    const broker = start();
    await broker.createTopic("gone", 1);
    await broker.produce("gone", rec({ message: "x" }));
    const tail = await broker.tail({ topic: "gone", partition: 0, signal: signal() });
    const iterator = tail.records[Symbol.asyncIterator]();
    const waiting = nextBatch(iterator).then(
      (v) => v,
      (error: unknown) => (error instanceof StreamNestError ? `${error.code}: ${error.message}` : String(error)),
    );
    await broker.deleteTopic("gone");
    expect(await waiting).toBe('TOPIC_NOT_FOUND: topic "gone" was deleted');
    expect(await activeStreams(broker)).toBe(0);
  });

  test("a signal already aborted gives a stream that ends at once", async () => {
    const broker = start();
    await broker.createTopic("q", 1);
    await broker.produce("q", rec({ message: "x" }));
    const tail = await broker.tail({ topic: "q", partition: 0, offset: 0, signal: AbortSignal.abort() });
    expect(await activeStreams(broker)).toBe(0);
    expect(await nextBatch(tail.records[Symbol.asyncIterator]())).toBe("end");
  });
});
