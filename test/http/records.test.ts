import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appFixture, type AppFixture, gaugeValue, until } from "./fixture.ts";
import { SseReader } from "./sse-reader.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
  await f.call("POST", "/produce", {
    topic: "demo",
    messages: Array.from({ length: 10 }, (_, i) => ({ message: `m${i}`, partition: 0, key: i % 2 === 0 ? `k${i}` : undefined })),
  });
});
afterEach(async () => {
  await f.close();
});

const RECORDS = "/topics/demo/partitions/0/records";

describe("GET /topics/:topic/partitions/:partition/records", () => {
  test("answers records with offset, key, message, headers, timestamp and the next offset", async () => {
    const before = Date.now();
    const res = await f.call("GET", `${RECORDS}?offset=2&max=3`);
    expect(res.status).toBe(200);
    expect(res.body.topic).toBe("demo");
    expect(res.body.partition).toBe(0);
    expect(res.body.records.map((r: { offset: number; key: string | null; message: string; headers: object }) => [r.offset, r.key, r.message, r.headers])).toEqual([
      [2, "k2", "m2", {}],
      [3, null, "m3", {}],
      [4, "k4", "m4", {}],
    ]);
    for (const r of res.body.records) expect(r.timestamp).toBeLessThanOrEqual(before);
    expect(res.body.next_offset).toBe(5);
    expect(res.body.start_offset).toBe(0);
    expect(res.body.end_offset).toBe(10);
  });

  test("the default max is 500 and reading to the end returns all", async () => {
    const res = await f.call("GET", `${RECORDS}?offset=0`);
    expect(res.body.records).toHaveLength(10);
    expect(res.body.next_offset).toBe(10);
  });

  test("max_bytes limits the batch but always returns one record", async () => {
    const one = await f.call("GET", `${RECORDS}?offset=0&max_bytes=1`);
    expect(one.body.records.map((r: { offset: number }) => r.offset)).toEqual([0]);
    expect(one.body.next_offset).toBe(1);
  });

  test("at the end: an empty batch at once, or a long poll woken by the append", async () => {
    const empty = await f.call("GET", `${RECORDS}?offset=10`);
    expect(empty.body.records).toEqual([]);
    expect(empty.body.next_offset).toBe(10);

    const waiting = f.call("GET", `${RECORDS}?offset=10&timeout_ms=60000`);
    await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 1);
    await f.call("POST", "/produce", { topic: "demo", message: "woken", partition: 0 });
    const res = await waiting;
    expect(res.body.records.map((r: { message: string }) => r.message)).toEqual(["woken"]);
    expect(res.body.next_offset).toBe(11);
    expect(await gaugeValue(f.broker.metrics.waitingFetches)).toBe(0);
  });

  test("an append to another partition does not end the wait", async () => {
    const waiting = f.call("GET", `/topics/demo/partitions/1/records?offset=0&timeout_ms=60000`);
    await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 1);
    await f.call("POST", "/produce", { topic: "demo", message: "elsewhere", partition: 0 });
    await f.call("POST", "/produce", { topic: "demo", message: "here", partition: 1 });
    expect((await waiting).body.records.map((r: { message: string }) => r.message)).toEqual(["here"]);
  });

  test("the long poll gives up after timeout_ms with an empty batch", async () => {
    const res = await f.call("GET", `${RECORDS}?offset=10&timeout_ms=20`);
    expect(res.status).toBe(200);
    expect(res.body.records).toEqual([]);
  });

  test("a client that goes away frees its wait", async () => {
    const controller = new AbortController();
    const pending = f.app
      .handle(new Request(`http://localhost${RECORDS}?offset=10&timeout_ms=60000`, { signal: controller.signal }))
      .catch(() => undefined);
    await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 1);
    controller.abort();
    await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 0);
    await pending;
  });

  test("deleting the topic ends a waiting fetch with 404", async () => {
    const waiting = f.call("GET", `${RECORDS}?offset=10&timeout_ms=60000`);
    await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 1);
    await f.call("DELETE", "/topics/demo");
    const res = await waiting;
    expect([res.status, res.body.error]).toEqual([404, "TOPIC_NOT_FOUND"]);
  });

  const bad: [string, string, number, string, string][] = [
    ["offset beyond the end", `${RECORDS}?offset=11`, 400, "OFFSET_OUT_OF_RANGE", "11"],
    ["negative offset", `${RECORDS}?offset=-1`, 400, "INVALID_OFFSET", "offset"],
    ["non-numeric offset", `${RECORDS}?offset=x`, 400, "INVALID_OFFSET", "offset"],
    ["missing offset", RECORDS, 400, "INVALID_REQUEST", "offset"],
    ["max 0", `${RECORDS}?offset=0&max=0`, 400, "INVALID_REQUEST", "max"],
    ["max too large", `${RECORDS}?offset=0&max=10001`, 400, "INVALID_REQUEST", "max"],
    ["max_bytes 0", `${RECORDS}?offset=0&max_bytes=0`, 400, "INVALID_REQUEST", "max_bytes"],
    ["timeout_ms negative", `${RECORDS}?offset=0&timeout_ms=-1`, 400, "INVALID_REQUEST", "timeout_ms"],
    ["unknown partition", "/topics/demo/partitions/2/records?offset=0", 400, "PARTITION_OUT_OF_RANGE", "partition 2"],
    ["non-numeric partition", "/topics/demo/partitions/p/records?offset=0", 400, "INVALID_REQUEST", "partition"],
    ["unknown topic", "/topics/nope/partitions/0/records?offset=0", 404, "TOPIC_NOT_FOUND", "nope"],
    ["bad topic name", `/topics/${encodeURIComponent("a/b")}/partitions/0/records?offset=0`, 400, "INVALID_TOPIC_NAME", "a/b"],
  ];
  for (const [label, path, status, code, mention] of bad)
    test(`${label}: ${status} ${code}`, async () => {
      const before = f.snapshot();
      const res = await f.call("GET", path);
      expect(res.status).toBe(status);
      expect(res.body.error).toBe(code);
      expect(res.body.message).toContain(mention);
      expect(f.snapshot()).toEqual(before);
    });
});

describe("GET /topics/:topic/partitions/:partition/records/stream", () => {
  async function open(query: string, headers: Record<string, string> = {}): Promise<{ res: Response; sse: SseReader }> {
    const res = await f.request("GET", `${RECORDS}/stream${query}`, undefined, headers);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    return { res, sse: new SseReader(res.body as ReadableStream<Uint8Array>) };
  }

  test("sends every record from the offset, then new ones in order, as they come", async () => {
    const { sse } = await open("?offset=7");
    expect((await sse.records(3)).map((r) => [r.offset, r.message])).toEqual([
      [7, "m7"],
      [8, "m8"],
      [9, "m9"],
    ]);
    for (let i = 10; i < 20; i++) await f.call("POST", "/produce", { topic: "demo", message: `m${i}`, partition: 0 });
    await f.call("POST", "/produce", { topic: "demo", messages: Array.from({ length: 5 }, (_, i) => ({ message: `b${i}`, partition: 0 })) });
    const live = await sse.records(15);
    expect(live.map((r) => r.offset)).toEqual(Array.from({ length: 15 }, (_, i) => 10 + i));
    expect(live.map((r) => r.message)).toEqual([...Array.from({ length: 10 }, (_, i) => `m${i + 10}`), "b0", "b1", "b2", "b3", "b4"]);
    await sse.cancel();
  });

  test("without an offset, only new records; Last-Event-ID resumes after it", async () => {
    const { sse } = await open("");
    await f.call("POST", "/produce", { topic: "demo", message: "new", partition: 0 });
    expect((await sse.records(1)).map((r) => [r.offset, r.message])).toEqual([[10, "new"]]);
    await sse.cancel();
    const resumed = await open("", { "last-event-id": "4" });
    expect((await resumed.sse.records(2)).map((r) => r.offset)).toEqual([5, 6]);
    await resumed.sse.cancel();
  });

  test("an EventSource reconnect (the same URL with ?offset, and Last-Event-ID) resumes after the last event, not from ?offset again", async () => {
    const resumed = await open("?offset=2", { "last-event-id": "6" });
    expect((await resumed.sse.records(2)).map((r) => r.offset)).toEqual([7, 8]);
    await resumed.sse.cancel();
  });

  test("a client that goes away frees the stream and its listener", async () => {
    const { sse } = await open("?offset=10");
    await until(async () => (await gaugeValue(f.broker.metrics.activeStreams)) === 1);
    await sse.cancel();
    await until(async () => (await gaugeValue(f.broker.metrics.activeStreams)) === 0);
    // The broker still works and a new stream sees the next record.
    const again = await open("?offset=10");
    await f.call("POST", "/produce", { topic: "demo", message: "after", partition: 0 });
    expect((await again.sse.records(1))[0].message).toBe("after");
    await again.sse.cancel();
  });

  test("deleting the topic ends the stream with an error event saying so", async () => {
    const { sse } = await open("?offset=10");
    await until(async () => (await gaugeValue(f.broker.metrics.activeStreams)) === 1);
    await f.call("DELETE", "/topics/demo");
    expect(await sse.next()).toEqual({ event: "error", data: JSON.stringify({ error: "TOPIC_NOT_FOUND", message: 'topic "demo" was deleted' }) });
    expect(await sse.next()).toBeUndefined();
    expect(await gaugeValue(f.broker.metrics.activeStreams)).toBe(0);
  });

  const bad: [string, string, number, string][] = [
    ["offset beyond the end", `${RECORDS}/stream?offset=11`, 400, "OFFSET_OUT_OF_RANGE"],
    ["negative offset", `${RECORDS}/stream?offset=-3`, 400, "INVALID_OFFSET"],
    ["non-numeric offset", `${RECORDS}/stream?offset=abc`, 400, "INVALID_OFFSET"],
    ["unknown partition", "/topics/demo/partitions/5/records/stream", 400, "PARTITION_OUT_OF_RANGE"],
    ["unknown topic", "/topics/nope/partitions/0/records/stream", 404, "TOPIC_NOT_FOUND"],
  ];
  for (const [label, path, status, code] of bad)
    test(`${label}: ${status} ${code}, no stream opened`, async () => {
      const res = await f.call("GET", path);
      expect([res.status, res.body.error]).toEqual([status, code]);
      expect(await gaugeValue(f.broker.metrics.activeStreams)).toBe(0);
    });

  test("a bad Last-Event-ID is 400 INVALID_OFFSET", async () => {
    const res = await f.request("GET", `${RECORDS}/stream`, undefined, { "last-event-id": "abc" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("INVALID_OFFSET");
  });
});

describe("a partition never written", () => {
  test("is read as the empty log it is, and no read (refused or not) creates its folder", async () => {
    await f.call("POST", "/create-topic", { topic: "fresh", partitions: 3 });
    const before = f.snapshot();
    expect(await f.call("GET", "/topics/fresh/partitions/0/records?offset=0")).toEqual({
      status: 200,
      body: { topic: "fresh", partition: 0, records: [], next_offset: 0, start_offset: 0, end_offset: 0 },
    });
    expect(await f.call("GET", "/topics/fresh/partitions/1/records?offset=5")).toEqual({
      status: 400,
      body: { error: "OFFSET_OUT_OF_RANGE", message: "offset 5 is outside the partition's range [0, 0]", details: { startOffset: 0, endOffset: 0 } },
    });
    expect((await f.request("GET", "/consume?topic=fresh&partition=2&offset=0")).status).toBe(204);
    expect((await f.request("GET", "/consume?topic=fresh&partition=2&offset=7")).status).toBe(204);
    expect((await f.call("GET", "/topics/fresh/partitions/2/records/stream?offset=3")).body.error).toBe("OFFSET_OUT_OF_RANGE");
    expect((await f.call("GET", "/topics/fresh")).body.partitions.map((p: { end_offset: number }) => p.end_offset)).toEqual([0, 0, 0]);
    expect(f.snapshot()).toEqual(before);
  });

  test("a long poll on it still wakes up on the first append", async () => {
    await f.call("POST", "/create-topic", { topic: "fresh", partitions: 1 });
    const waiting = f.call("GET", "/topics/fresh/partitions/0/records?offset=0&timeout_ms=60000");
    await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 1);
    await f.call("POST", "/produce", { topic: "fresh", message: "first" });
    expect((await waiting).body.records.map((r: { message: string }) => r.message)).toEqual(["first"]);
  });
});
