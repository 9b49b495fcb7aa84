import { afterEach, beforeEach, expect, test } from "bun:test";
import { appFixture, type AppFixture, gaugeValue, until } from "./fixture.ts";
import { type SseEvent, SseReader } from "./sse-reader.ts";
import type { StoredRecord, Tail } from "../../src/broker/types.ts";
import { sseStream } from "../../src/http/sse.ts";
import { sseEvents } from "../../src/http/sse-frames.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import type { CoreContext } from "../../src/broker/core-context.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 1 });
  await f.call("POST", "/produce", { topic: "demo", message: "m0", partition: 0 });
});
afterEach(async () => {
  await f.close();
});

/** Append listeners of partition 0's log: each waiting reader or stream holds one. */
function appendListeners(): number {
  const { ctx } = f.broker as unknown as { ctx: CoreContext };
  const partition = ctx.catalog.get("demo")?.partitions[0];
  const log = (partition && ctx.logs.get(partition)) as unknown as { listeners: Set<unknown> };
  return log.listeners.size;
}

test("hundreds of streams and long polls dropped by their clients free every slot and listener", async () => {
  const clients = Array.from({ length: 200 }, () => new AbortController());
  const streams = await Promise.all(
    clients.slice(0, 100).map(async (c) => {
      const res = await f.app.handle(new Request("http://localhost/topics/demo/partitions/0/records/stream?offset=1", { signal: c.signal }));
      expect(res.status).toBe(200);
      return new SseReader(res.body as ReadableStream<Uint8Array>);
    }),
  );
  // Each stream parks on the log once it is read.
  const firstReads = streams.map((s) => s.next());
  const polls = clients
    .slice(100)
    .map((c) => f.app.handle(new Request("http://localhost/topics/demo/partitions/0/records?offset=1&timeout_ms=300000", { signal: c.signal })));
  await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 100 && appendListeners() === 200);
  expect(await gaugeValue(f.broker.metrics.activeStreams)).toBe(100);
  for (const c of clients) c.abort();
  await Promise.allSettled(polls);
  await Promise.all(streams.map((s) => s.cancel()));
  await Promise.allSettled(firstReads);
  await until(async () => (await gaugeValue(f.broker.metrics.activeStreams)) === 0 && (await gaugeValue(f.broker.metrics.waitingFetches)) === 0);
  expect(appendListeners()).toBe(0);
  // The partition still serves: a new stream gets the next record.
  const res = await f.request("GET", "/topics/demo/partitions/0/records/stream?offset=1");
  const sse = new SseReader(res.body as ReadableStream<Uint8Array>);
  await f.call("POST", "/produce", { topic: "demo", message: "m1", partition: 0 });
  expect((await sse.records(1))[0].message).toBe("m1");
  await sse.cancel();
});

test("an idle stream's heartbeats do not pile up reactions on the tail's pending read", async () => {
  // A read that never completes: the stream only ever sends heartbeats.
  let reactions = 0;
  const never = new Promise<IteratorResult<StoredRecord[]>>(() => {});
  const then = never.then.bind(never);
  Object.defineProperty(never, "then", {
    value: (...args: Parameters<typeof never.then>) => {
      reactions++;
      return then(...args);
    },
  });
  let closed = 0;
  const tail: Tail = {
    startOffset: 0,
    records: { [Symbol.asyncIterator]: () => ({ next: () => never, return: async () => ({ done: true, value: undefined }) }) },
    close: () => closed++,
  };
  const stream = sseStream(tail, new AbortController(), () => {}, 1);
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let heartbeats = 0;
  let text = "";
  while (heartbeats < 50) {
    const { value } = await reader.read();
    text = decoder.decode(value);
    if (text === ": heartbeat\n\n") heartbeats++;
  }
  expect(heartbeats).toBe(50);
  expect(reactions).toBe(1);
  await reader.cancel();
  expect(closed).toBe(1);
});

/** A tail that has `batches` batches of `perBatch` records of `valueBytes` bytes each, then none. */
function syntheticTail(batches: number, perBatch: number, valueBytes: number): { tail: Tail; closed: () => number } {
  let closed = 0;
  let sent = 0;
  const value = new Uint8Array(valueBytes).fill(97);
  const tail: Tail = {
    startOffset: 0,
    records: {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (sent >= batches) return new Promise<IteratorResult<StoredRecord[]>>(() => {});
          const first = sent++ * perBatch;
          const batch = Array.from({ length: perBatch }, (_, i): StoredRecord => ({ offset: first + i, key: null, value, headers: [], timestamp: 1 }));
          return { done: false, value: batch };
        },
        return: async () => ({ done: true, value: undefined }),
      }),
    },
    close: () => closed++,
  };
  return { tail, closed: () => closed };
}

test("a reader that stops reading gets an error event naming the offset to resume from, after the records it was sent", async () => {
  const { tail, closed } = syntheticTail(100, 10, 1024);
  const stream = sseStream(tail, new AbortController(), () => {}, 60_000, { stallMs: 50 });
  const sse = new SseReader(stream);
  expect((await sse.records(10)).map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  // The next batch is read ahead and waits; the reader does not ask for it in time.
  await Bun.sleep(300);
  expect(closed()).toBe(1);
  const events: SseEvent[] = [];
  for (let event = await sse.next(); event; event = await sse.next()) events.push(event);
  expect(events.map((e) => e.event)).toEqual(["error"]);
  const body = JSON.parse(events[0].data as string) as { error: string; details: { resume_offset: number } };
  expect(body.error).toBe("REQUEST_TIMED_OUT");
  expect(body.details).toEqual({ resume_offset: 10 });
});

test("a reader slower than the tail but within the stall time gets every record and no error", async () => {
  const { tail, closed } = syntheticTail(40, 10, 1024);
  const stream = sseStream(tail, new AbortController(), () => {}, 60_000, { stallMs: 5_000 });
  const sse = new SseReader(stream);
  const records: number[] = [];
  while (records.length < 400) {
    const event = await sse.next();
    expect(event?.event).toBe("record");
    records.push(Number(event?.id));
    if (records.length % 50 === 0) await Bun.sleep(20);
  }
  expect(records).toEqual(Array.from({ length: 400 }, (_, i) => i));
  expect(closed()).toBe(0);
  await sse.cancel();
  expect(closed()).toBe(1);
});

test("a stream that a retriable error ends (its leader broke it off) names the offset to read again from; one that cannot be retried does not", async () => {
  for (const [error, details] of [
    [new StreamNestError("LEADER_UNAVAILABLE", "partition demo/0 is led by broker 2, which broke off the stream (ECONNRESET); read again from the next offset", { leader: 2 }), { leader: 2, resume_offset: 13 }],
    [new StreamNestError("TOPIC_NOT_FOUND", 'topic "demo" was deleted'), undefined],
  ] as const) {
    let sent = false;
    const tail: Tail = {
      startOffset: 10,
      records: {
        [Symbol.asyncIterator]: () => ({
          next: async (): Promise<IteratorResult<StoredRecord[]>> => {
            if (sent) throw error;
            sent = true;
            return { done: false, value: [10, 11, 12].map((offset): StoredRecord => ({ offset, key: null, value: new Uint8Array([97]), headers: [], timestamp: 1 })) };
          },
          return: async () => ({ done: true, value: undefined }),
        }),
      },
      close: () => {},
    };
    const sse = new SseReader(sseStream(tail, new AbortController(), () => {}, 60_000));
    expect((await sse.records(3)).map((r) => r.offset)).toEqual([10, 11, 12]);
    const ended = await sse.next();
    expect(ended?.event).toBe("error");
    expect(JSON.parse(ended?.data ?? "null")).toEqual({ error: error.code, message: error.message, ...(details === undefined ? {} : { details }) });
    expect(await sse.next()).toBeUndefined();
  }
});

// Found by a tester: a 900 KB record's event went to Bun whole, which held all of it for
// every reader that stopped reading (300 of them took a broker from 89 MB to 1.9 GB).
test("an event longer than a slice goes out in slices of at most 16 KiB, never inside a character; the bytes join to the event", async () => {
  // "é" is two bytes: an odd cut would split one.
  const text = `a${"é".repeat(60_000)}`;
  const record: StoredRecord = { offset: 0, key: null, value: new TextEncoder().encode(text), headers: [], timestamp: 1 };
  let given = false;
  const tail: Tail = {
    startOffset: 0,
    records: {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          if (given) return new Promise<IteratorResult<StoredRecord[]>>(() => {});
          given = true;
          return { done: false, value: [record] };
        },
        return: async () => ({ done: true, value: undefined }),
      }),
    },
    close: () => {},
  };
  const reader = sseStream(tail, new AbortController(), () => {}, 60_000).getReader();
  const expected = sseEvents([record]);
  const chunks: Uint8Array[] = [];
  let received = 0;
  // The first chunk is the stream's opening comment.
  await reader.read();
  while (received < expected.length) {
    const { value } = await reader.read();
    if (value === undefined) break;
    chunks.push(value);
    received += value.length;
  }
  await reader.cancel();
  expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(16 * 1024);
  expect(chunks.length).toBeGreaterThan(expected.length / (16 * 1024));
  // Every chunk decodes on its own: none starts inside a character.
  for (const chunk of chunks) expect((chunk[0] & 0xc0) === 0x80).toBe(false);
  expect(Buffer.concat(chunks).equals(Buffer.from(expected))).toBe(true);
});
