import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { partitionForKey } from "../../src/lib/murmur2.ts";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture({ maxMessageBytes: 1000, maxBodyBytes: 64 * 1024 });
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 3 });
});
afterEach(async () => {
  await f.close();
});

async function messagesOf(partition: number): Promise<Array<string | null>> {
  const res = await f.call("GET", `/topics/demo/partitions/${partition}/records?offset=0&max=1000`);
  return res.body.records.map((r: { message: string | null }) => r.message);
}

describe("POST /produce, one message", () => {
  test("explicit partition answers {offset, partition} and stores the message", async () => {
    expect(await f.call("POST", "/produce", { topic: "demo", message: "m0", partition: 2 })).toEqual({
      status: 200,
      body: { offset: 0, partition: 2 },
    });
    expect(await f.call("POST", "/produce", { topic: "demo", message: "m1", partition: 2 })).toEqual({
      status: 200,
      body: { offset: 1, partition: 2 },
    });
    expect(await messagesOf(2)).toEqual(["m0", "m1"]);
  });

  test("a key picks Kafka's partition and is stored", async () => {
    for (const key of ["alpha", "beta", "gamma", "delta", "epsilon"]) {
      const res = await f.call("POST", "/produce", { topic: "demo", message: `for ${key}`, key });
      expect(res.status).toBe(200);
      expect(res.body.partition).toBe(partitionForKey(key, 3));
    }
    const records = await f.call("GET", `/topics/demo/partitions/${partitionForKey("alpha", 3)}/records?offset=0`);
    expect(records.body.records.find((r: { key: string }) => r.key === "alpha").message).toBe("for alpha");
  });

  test("message null is a tombstone: read back as null, distinct from the empty message, over every read route", async () => {
    expect((await f.call("POST", "/produce", { topic: "demo", message: null, key: "k", partition: 1 })).body).toEqual({ offset: 0, partition: 1 });
    expect((await f.call("POST", "/produce", { topic: "demo", messages: [{ message: "", partition: 1 }, { message: null, partition: 1 }] })).body).toEqual({
      results: [
        { offset: 1, partition: 1 },
        { offset: 2, partition: 1 },
      ],
    });
    expect(await messagesOf(1)).toEqual([null, "", null]);
    expect((await f.call("GET", "/consume?topic=demo&partition=1&offset=0")).body).toEqual({ offset: 0, message: null });
    const stored = await f.broker.fetch({ topic: "demo", partition: 1, offset: 0 });
    expect(stored.records.map((r) => r.value)).toEqual([null, new Uint8Array(0), null]);
  });

  test("an explicit partition wins over the key", async () => {
    const key = "alpha";
    const other = (partitionForKey(key, 3) + 1) % 3;
    expect((await f.call("POST", "/produce", { topic: "demo", message: "x", key, partition: other })).body.partition).toBe(other);
  });

  test("no key and no partition go round-robin", async () => {
    const partitions: number[] = [];
    for (let i = 0; i < 6; i++) partitions.push((await f.call("POST", "/produce", { topic: "demo", message: `m${i}` })).body.partition);
    expect(partitions).toEqual([0, 1, 2, 0, 1, 2]);
  });

  test("a null key is no key: round-robin, or the explicit partition, stored as null", async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await f.call("POST", "/produce", { topic: "demo", message: `n${i}`, key: null }));
    expect(answers).toEqual([
      { status: 200, body: { offset: 0, partition: 0 } },
      { status: 200, body: { offset: 0, partition: 1 } },
      { status: 200, body: { offset: 0, partition: 2 } },
      { status: 200, body: { offset: 1, partition: 0 } },
    ]);
    expect(await f.call("POST", "/produce", { topic: "demo", message: "p", key: null, partition: 2 })).toEqual({
      status: 200,
      body: { offset: 1, partition: 2 },
    });
    const records = await f.call("GET", "/topics/demo/partitions/2/records?offset=0");
    expect(records.body.records.map((r: { key: unknown; message: string }) => [r.key, r.message])).toEqual([
      [null, "n2"],
      [null, "p"],
    ]);
  });

  test("headers are stored and read back", async () => {
    await f.call("POST", "/produce", { topic: "demo", message: "h", partition: 0, headers: { trace: "abc", empty: "" } });
    const res = await f.call("GET", "/topics/demo/partitions/0/records?offset=0");
    expect(res.body.records[0].headers).toEqual({ trace: "abc", empty: "" });
  });

  test("unicode and JSON-looking text are stored byte for byte", async () => {
    const message = 'ünïcödé 🚀 "quoted" \\ back\nslash {"a":1}';
    await f.call("POST", "/produce", { topic: "demo", message, partition: 1 });
    expect(await messagesOf(1)).toEqual([message]);
  });
});

describe("POST /produce, bad input: 4xx, named field, nothing written", () => {
  const cases: [string, unknown, number, string, string][] = [
    ["message a number", { topic: "demo", message: 5 }, 400, "INVALID_REQUEST", "message"],
    ["message an object", { topic: "demo", message: { a: 1 } }, 400, "INVALID_REQUEST", "message"],
    ["message missing", { topic: "demo" }, 400, "INVALID_REQUEST", "message"],
    ["key a number", { topic: "demo", message: "x", key: 5 }, 400, "INVALID_REQUEST", "key must be a string or null"],
    ["key an object", { topic: "demo", message: "x", key: {} }, 400, "INVALID_REQUEST", "key must be a string or null"],
    ["partition a word", { topic: "demo", message: "x", partition: "one" }, 400, "INVALID_REQUEST", "partition"],
    ["partition fractional", { topic: "demo", message: "x", partition: 1.5 }, 400, "INVALID_REQUEST", "partition"],
    ["partition out of range", { topic: "demo", message: "x", partition: 3 }, 400, "PARTITION_OUT_OF_RANGE", "partition 3"],
    ["partition negative", { topic: "demo", message: "x", partition: -1 }, 400, "PARTITION_OUT_OF_RANGE", "partition -1"],
    ["headers not strings", { topic: "demo", message: "x", headers: { a: 1 } }, 400, "INVALID_REQUEST", "headers"],
    ["headers a string", { topic: "demo", message: "x", headers: "trace=1" }, 400, "INVALID_REQUEST", "headers must be an object of string values"],
    ["headers an array", { topic: "demo", message: "x", headers: ["trace"] }, 400, "INVALID_REQUEST", "headers must be an object of string values"],
    ["headers null", { topic: "demo", message: "x", headers: null }, 400, "INVALID_REQUEST", "headers must be an object of string values"],
    ["headers a number", { topic: "demo", message: "x", headers: 1 }, 400, "INVALID_REQUEST", "headers must be an object of string values"],
    ["a header value null", { topic: "demo", message: "x", headers: { a: null } }, 400, "INVALID_REQUEST", "headers.a: expected string, got null"],
    ["a header value an object", { topic: "demo", message: "x", headers: { a: { b: "c" } } }, 400, "INVALID_REQUEST", "headers.a: expected string"],
    ["a batch item's headers a string", { topic: "demo", messages: [{ message: "a" }, { message: "b", headers: "x" }] }, 400, "INVALID_REQUEST", "messages[1]: headers must be an object of string values"],
    ["a batch item's header value a number", { topic: "demo", messages: [{ message: "a", headers: { a: 1 } }] }, 400, "INVALID_REQUEST", "messages[0].headers.a: expected string, got 1"],
    ["a batch item's key a number", { topic: "demo", messages: [{ message: "a" }, { message: "b", key: 7 }] }, 400, "INVALID_REQUEST", "messages[1]: key must be a string or null"],
    ["topic missing", { message: "x" }, 400, "INVALID_REQUEST", "topic"],
    ["topic a number", { topic: 1, message: "x" }, 400, "INVALID_REQUEST", "topic"],
    ["topic ../x", { topic: "../x", message: "x" }, 400, "INVALID_TOPIC_NAME", "../x"],
    ["topic a/b", { topic: "a/b", message: "x" }, 400, "INVALID_TOPIC_NAME", "a/b"],
    ["topic empty", { topic: "", message: "x" }, 400, "INVALID_TOPIC_NAME", "empty"],
    ["topic ..", { topic: "..", message: "x" }, 400, "INVALID_TOPIC_NAME", ".."],
    ["topic 250 chars", { topic: "t".repeat(250), message: "x" }, 400, "INVALID_TOPIC_NAME", "249"],
    ["topic non-ASCII", { topic: "démo", message: "x" }, 400, "INVALID_TOPIC_NAME", "ASCII"],
    ["unknown topic", { topic: "nope", message: "x" }, 404, "TOPIC_NOT_FOUND", "nope"],
    ["message over --max-message-bytes", { topic: "demo", message: "x".repeat(1001), partition: 0 }, 413, "MESSAGE_TOO_LARGE", "1000"],
    ["key and headers count toward the limit", { topic: "demo", message: "x".repeat(990), key: "k".repeat(20) }, 413, "MESSAGE_TOO_LARGE", "1010"],
    // 600 characters, 1,200 bytes in UTF-8: once counted as 600 and let through.
    ["header names count in UTF-8 bytes", { topic: "demo", message: "x", headers: { ["é".repeat(600)]: "v" } }, 413, "MESSAGE_TOO_LARGE", "takes 1202 bytes"],
    // A lone surrogate cannot be UTF-8: it was stored as U+FFFD, not as acknowledged.
    ["message with a lone surrogate", { topic: "demo", message: "a\ud800b" }, 400, "INVALID_REQUEST", 'message is not valid Unicode: a lone surrogate \\ud800 at character 1 (a "\\ud800" escape needs its pair)'],
    ["key with a lone surrogate", { topic: "demo", message: "x", key: "😀\udfff" }, 400, "INVALID_REQUEST", "key is not valid Unicode: a lone surrogate \\udfff at character 2"],
    ["header value with a lone surrogate", { topic: "demo", message: "x", headers: { h: "\udc00" } }, 400, "INVALID_REQUEST", 'header "h" is not valid Unicode'],
    ["batch item with a lone surrogate", { topic: "demo", messages: [{ message: "\ud83d" }] }, 400, "INVALID_REQUEST", "messages[0].message is not valid Unicode"],
    ["both message and messages", { topic: "demo", message: "x", messages: [{ message: "y" }] }, 400, "INVALID_REQUEST", "message beside messages would be ignored"],
    ["messages empty", { topic: "demo", messages: [] }, 400, "INVALID_REQUEST", "messages"],
    ["messages not an array", { topic: "demo", messages: "x" }, 400, "INVALID_REQUEST", "messages"],
    ["a batch item mistyped", { topic: "demo", messages: [{ message: "ok" }, { message: 7 }] }, 400, "INVALID_REQUEST", "messages[1]: message must be a string or null, got 7"],
  ];
  for (const [label, body, status, code, mention] of cases)
    test(label, async () => {
      const before = f.snapshot();
      const res = await f.call("POST", "/produce", body);
      expect(res.status).toBe(status);
      expect(res.body.error).toBe(code);
      expect(res.body.message).toContain(mention);
      expect(f.snapshot()).toEqual(before);
    });

  test("a message of exactly --max-message-bytes is accepted", async () => {
    expect((await f.call("POST", "/produce", { topic: "demo", message: "x".repeat(1000), partition: 0 })).status).toBe(200);
  });

  test("invalid JSON is 400 and writes nothing", async () => {
    const before = f.snapshot();
    const res = await f.request("POST", "/produce", '{"topic":"demo","message":"x"');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("INVALID_REQUEST");
    expect(f.snapshot()).toEqual(before);
  });

  test("a body over the limit is 413 BODY_TOO_LARGE, with or without Content-Length", async () => {
    const before = f.snapshot();
    const big = JSON.stringify({ topic: "demo", messages: Array.from({ length: 1000 }, () => ({ message: "y".repeat(100) })) });
    expect(big.length).toBeGreaterThan(64 * 1024);
    const declared = await f.request("POST", "/produce", big);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toBe("BODY_TOO_LARGE");
    // A chunked body declares no length: the limit is enforced while reading.
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 8192) c.enqueue(bytes.subarray(i, i + 8192));
        c.close();
      },
    });
    const chunked = await f.app.handle(
      new Request("http://localhost/produce", { method: "POST", body: stream, headers: { "content-type": "application/json" } }),
    );
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { error: string }).error).toBe("BODY_TOO_LARGE");
    expect(f.snapshot()).toEqual(before);
  });
});

describe("POST /produce, batch", () => {
  test("answers per message in order, one append per partition", async () => {
    const res = await f.call("POST", "/produce", {
      topic: "demo",
      messages: [
        { message: "a", partition: 1 },
        { message: "b", partition: 0 },
        { message: "c", partition: 1 },
        { message: "d", key: "alpha" },
        { message: "e" },
      ],
    });
    expect(res.status).toBe(200);
    const alpha = partitionForKey("alpha", 3);
    const expected = [
      { partition: 1, offset: 0 },
      { partition: 0, offset: 0 },
      { partition: 1, offset: 1 },
    ];
    expect(res.body.results.slice(0, 3)).toEqual(expected);
    expect(res.body.results[3].partition).toBe(alpha);
    expect(res.body.results[4].partition).toBe(0);
    expect(await messagesOf(1)).toEqual(alpha === 1 ? ["a", "c", "d"] : ["a", "c"]);
  });

  test("null keys in a batch are no key: round-robin or the explicit partition", async () => {
    const res = await f.call("POST", "/produce", {
      topic: "demo",
      messages: [
        { message: "a", key: null },
        { message: "b", key: null, partition: 2 },
        { message: "c", key: null },
        { message: "d", key: "alpha" },
      ],
    });
    const alpha = partitionForKey("alpha", 3);
    expect(res).toEqual({
      status: 200,
      body: {
        results: [
          { partition: 0, offset: 0 },
          { partition: 2, offset: 0 },
          { partition: 1, offset: 0 },
          // every partition already has one message from this batch
          { partition: alpha, offset: 1 },
        ],
      },
    });
    const keys = await f.call("GET", "/topics/demo/partitions/0/records?offset=0");
    expect(keys.body.records[0]).toMatchObject({ key: null, message: "a" });
  });

  test("a refused message gets its own error; the others are written", async () => {
    const res = await f.call("POST", "/produce", {
      topic: "demo",
      messages: [
        { message: "ok-1", partition: 0 },
        { message: "bad", partition: 7 },
        { message: "x".repeat(1001), partition: 0 },
        { message: "ok-2", partition: 0 },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toEqual({ partition: 0, offset: 0 });
    expect(res.body.results[1].error).toBe("PARTITION_OUT_OF_RANGE");
    expect(res.body.results[2].error).toBe("MESSAGE_TOO_LARGE");
    expect(res.body.results[3]).toEqual({ partition: 0, offset: 1 });
    expect(await messagesOf(0)).toEqual(["ok-1", "ok-2"]);
  });

  test("a batch where every message is refused is not a 200", async () => {
    const before = f.snapshot();
    const res = await f.call("POST", "/produce", {
      topic: "demo",
      messages: [
        { message: "a", partition: 9 },
        { message: "b", partition: 10 },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("PARTITION_OUT_OF_RANGE");
    expect(res.body.results).toHaveLength(2);
    expect(f.snapshot()).toEqual(before);
  });

  test("a batch to an unknown topic is 404", async () => {
    const res = await f.call("POST", "/produce", { topic: "nope", messages: [{ message: "a" }] });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe("TOPIC_NOT_FOUND");
  });

  test("offsets of a large batch are contiguous per partition", async () => {
    const messages = Array.from({ length: 300 }, (_, i) => ({ message: `m${i}`, partition: i % 3 }));
    const res = await f.call("POST", "/produce", { topic: "demo", messages });
    expect(res.body.results.map((r: { partition: number; offset: number }) => `${r.partition}:${r.offset}`)).toEqual(
      messages.map((_, i) => `${i % 3}:${Math.floor(i / 3)}`),
    );
    expect(await messagesOf(2)).toEqual(messages.filter((_, i) => i % 3 === 2).map((m) => m.message));
  });
});

describe("POST /produce with acks", () => {
  test('acks "1" and "all" (and Kafka\'s -1) answer the offset; "0" answers 202 with no offset, and the message lands', async () => {
    expect(await f.call("POST", "/produce", { topic: "demo", message: "one", partition: 1, acks: "1" })).toEqual({ status: 200, body: { offset: 0, partition: 1 } });
    expect(await f.call("POST", "/produce", { topic: "demo", message: "all", partition: 1, acks: -1 })).toEqual({ status: 200, body: { offset: 1, partition: 1 } });
    expect(await f.call("POST", "/produce", { topic: "demo", message: "zero", partition: 1, acks: "0" })).toEqual({ status: 202, body: { status: "accepted" } });
    expect(
      await f.call("POST", "/produce", { topic: "demo", messages: [{ message: "z1", partition: 1 }, { message: "z2", partition: 1 }], acks: 0 }),
    ).toEqual({ status: 202, body: { status: "accepted" } });
    for (let i = 0; i < 50 && (await messagesOf(1)).length < 5; i++) await Bun.sleep(20);
    expect(await messagesOf(1)).toEqual(["one", "all", "zero", "z1", "z2"]);
  });

  // Found by fuzzing: acks=0 answered 202 to an invalid topic name, a missing topic and a
  // partition out of range, which every other acks refuses before writing anything.
  test("acks 0 still refuses what is wrong with the request itself, with the acked produce's status and code", async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ topic: "..", message: "x" }, 400, "INVALID_TOPIC_NAME"],
      [{ topic: "no-such-topic", message: "x" }, 404, "TOPIC_NOT_FOUND"],
      [{ topic: "demo", message: "x", partition: 7 }, 400, "PARTITION_OUT_OF_RANGE"],
      [{ topic: "..", messages: [{ message: "a" }] }, 400, "INVALID_TOPIC_NAME"],
      [{ topic: "no-such-topic", messages: [{ message: "a" }] }, 404, "TOPIC_NOT_FOUND"],
    ];
    for (const [body, status, error] of cases) {
      const acked = await f.call("POST", "/produce", { ...body, acks: "1" });
      const unacked = await f.call("POST", "/produce", { ...body, acks: "0" });
      expect([unacked.status, unacked.body.error]).toEqual([status, error]);
      expect(unacked).toEqual(acked);
    }
    expect(await messagesOf(0)).toEqual([]);
  });

  test("any other acks is a 400 naming the choices", async () => {
    const res = await f.call("POST", "/produce", { topic: "demo", message: "x", acks: "some" });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('acks must be "all", "1" or "0"');
  });
});

describe("POST /produce, binary data in base64", () => {
  test("message_base64 and key_base64 store the exact bytes, read back in message_base64 and key_base64", async () => {
    const value = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x41]);
    const key = Buffer.from([0xfe, 0x01]);
    expect(
      (await f.call("POST", "/produce", { topic: "demo", message_base64: value.toString("base64"), key_base64: key.toString("base64"), partition: 0 })).body,
    ).toEqual({ offset: 0, partition: 0 });
    expect(
      (await f.call("POST", "/produce", { topic: "demo", messages: [{ message_base64: "aGk=", partition: 0 }, { message: "text", key_base64: "", partition: 0 }] })).body,
    ).toEqual({ results: [{ offset: 1, partition: 0 }, { offset: 2, partition: 0 }] });
    const records = (await f.call("GET", "/topics/demo/partitions/0/records?offset=0")).body.records;
    expect(Buffer.from(records[0].message_base64, "base64")).toEqual(value);
    expect(Buffer.from(records[0].key_base64, "base64")).toEqual(key);
    // Bytes that are UTF-8 read back as text, as any record's do.
    expect([records[1].message, records[1].key, records[1].message_base64]).toEqual(["hi", null, undefined]);
    expect([records[2].message, records[2].key]).toEqual(["text", ""]);
  });

  test("a key_base64 picks the partition by its bytes, as Kafka's partitioner does", async () => {
    const res = await f.call("POST", "/produce", { topic: "demo", message: "m", key_base64: Buffer.from("alpha").toString("base64") });
    expect(res.body.partition).toBe(partitionForKey("alpha", 3));
  });

  test("text that is not canonical base64 is refused, naming the field", async () => {
    for (const bad of ["a", "ab=", "a b=", "ab!=", "YWJj\n", "YQ", "-_8="]) {
      expect(await f.call("POST", "/produce", { topic: "demo", message_base64: bad, partition: 0 })).toEqual({
        status: 400,
        body: { error: "INVALID_REQUEST", message: "message_base64 must be base64 (RFC 4648: A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters)" },
      });
    }
    const batch = await f.call("POST", "/produce", { topic: "demo", messages: [{ message: "ok", partition: 0 }, { message: "x", key_base64: "*", partition: 0 }] });
    expect(batch.body.results[1]).toEqual({
      error: "INVALID_REQUEST",
      message: "messages[1].key_base64 must be base64 (RFC 4648: A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters)",
    });
    expect(await messagesOf(0)).toEqual(["ok"]);
  });

  test("a value or key given both ways, or neither, is refused", async () => {
    expect(await f.call("POST", "/produce", { topic: "demo", message: "a", message_base64: "YQ==" })).toEqual({
      status: 400,
      body: { error: "INVALID_REQUEST", message: "give either message or message_base64, not both" },
    });
    expect((await f.call("POST", "/produce", { topic: "demo", message: "a", key: "k", key_base64: "aw==" })).body.message).toBe("give either key or key_base64, not both");
    expect((await f.call("POST", "/produce", { topic: "demo", key_base64: "aw==" })).body.message).toBe(
      "message is required (a string), or message_base64 (bytes in base64), or messages (an array) for a batch",
    );
    expect((await f.call("POST", "/produce", { topic: "demo", messages: [{ partition: 0 }] })).body.results[0]).toEqual({
      error: "INVALID_REQUEST",
      message: "messages[0].message is required (a string, or null for a tombstone), or messages[0].message_base64 (bytes in base64)",
    });
    expect((await f.call("POST", "/produce", { topic: "demo", message_base64: 5 })).status).toBe(400);
    expect((await f.call("POST", "/produce", { topic: "demo", key: "k", messages: [{ message: "m" }] })).body.message).toBe(
      "a batch's messages carry their own message, key, partition and headers: key beside messages would be ignored; put it in each message",
    );
    expect((await f.call("POST", "/produce", { topic: "demo", partition: 1, headers: { a: "b" }, messages: [{ message: "m" }] })).body).toEqual({
      error: "INVALID_REQUEST",
      message: "a batch's messages carry their own message, key, partition and headers: partition, headers beside messages would be ignored; put them in each message",
    });
    expect(await messagesOf(1)).toEqual([]);
  });
});
