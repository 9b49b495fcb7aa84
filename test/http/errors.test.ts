import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture({ maxPartitions: 100 });
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 3 });
});
afterEach(async () => {
  await f.close();
});

/** Sends a raw body; answers [status, code, message] and checks nothing changed on disk. */
async function refused(path: string, raw: string): Promise<[number, string, string]> {
  const before = f.snapshot();
  const res = await f.request("POST", path, raw);
  const body = (await res.json()) as { error: string; message: string };
  expect(f.snapshot()).toEqual(before);
  return [res.status, body.error, body.message];
}

describe("refusals say what was wrong and what was sent", () => {
  const cases: [string, string, string, string][] = [
    ["/create-topic", "", "INVALID_REQUEST", "the request body is empty; expected a JSON object"],
    ["/produce", "", "INVALID_REQUEST", "the request body is empty; expected a JSON object"],
    ["/register-schema", "", "INVALID_REQUEST", "the request body is empty; expected a JSON object"],
    ["/create-topic", '{"topic":"t","partitions":"3"}', "INVALID_PARTITIONS", 'partitions must be an integer from 1 to 100, got "3"'],
    // 1e400 parses to Infinity; JSON would print it as null.
    ["/create-topic", '{"topic":"t","partitions":1e400}', "INVALID_PARTITIONS", "partitions must be an integer from 1 to 100, got Infinity"],
    ["/create-topic", '{"topic":"t","partitions":true}', "INVALID_PARTITIONS", "partitions must be an integer from 1 to 100, got true"],
    ["/create-topic", '{"topic":"t","partitions":101}', "INVALID_PARTITIONS", "partitions must be an integer from 1 to 100, got 101"],
    // The name is checked before the count, as the broker does.
    ["/create-topic", '{"topic":"../x","partitions":"3"}', "INVALID_TOPIC_NAME", "topic name \"../x\" may contain only ASCII letters, digits, '.', '_' and '-'"],
    ["/create-topic", '{"topic":5,"partitions":1}', "INVALID_REQUEST", "topic must be a string, got 5"],
    ["/create-topic", '{"partitions":1}', "INVALID_REQUEST", "topic must be a string (it is missing)"],
    ["/register-schema", '{"topic":"demo"}', "INVALID_REQUEST", "schema is required (it is missing)"],
    ["/produce", '{"topic":"demo","message":"x","partition":"0"}', "INVALID_REQUEST", 'partition must be an integer, got "0"'],
    ["/produce", '{"topic":"demo","message":"x","key":3}', "INVALID_REQUEST", "key must be a string or null, got 3"],
    ["/produce", '{"topic":"demo","messages":[{"message":"x"},{"message":"y","key":[1]}]}', "INVALID_REQUEST", "messages[1]: key must be a string or null, got [1]"],
    ["/produce", '{"topic":"demo","message":"x","headers":["a"]}', "INVALID_REQUEST", 'headers must be an object of string values, got ["a"]'],
    ["/produce", '{"topic":"demo","message":"x","headers":{"a":{"b":1}}}', "INVALID_REQUEST", 'headers.a: expected string, got {"b":1}'],
    ["/produce", `{"topic":"demo","message":"x","key":${JSON.stringify([..."k".repeat(500)])}}`, "INVALID_REQUEST", `key must be a string or null, got ${JSON.stringify([..."k".repeat(500)]).slice(0, 80)}…`],
  ];
  for (const [path, raw, code, message] of cases)
    test(`${path} ${raw.slice(0, 60) || "(empty)"}`, async () => {
      expect(await refused(path, raw)).toEqual([400, code, message]);
    });
});

describe("big bodies are refused cheaply and clearly", () => {
  test("a batch over 100,000 messages is 413 before anything is validated or written", async () => {
    const raw = `{"topic":"demo","messages":[${Array.from({ length: 100_001 }, () => '{"message":""}').join(",")}]}`;
    const before = f.snapshot();
    const res = await f.request("POST", "/produce", raw);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: "BODY_TOO_LARGE",
      message: "the batch has 100001 messages; the limit is 100000 per request, split it",
      details: { limit: 100_000 },
    });
    expect(f.snapshot()).toEqual(before);
  });

  test("a batch of exactly 100,000 messages is written, one answer each, in order", async () => {
    const messages = Array.from({ length: 100_000 }, (_, i) => ({ message: `m${i}`, partition: i % 3 }));
    const res = await f.call("POST", "/produce", { topic: "demo", messages });
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(100_000);
    expect(res.body.results[99_999]).toEqual({ partition: 0, offset: 33_333 });
    const described = await f.call("GET", "/topics/demo");
    expect(described.body.partitions.map((p: { end_offset: number }) => p.end_offset)).toEqual([33_334, 33_333, 33_333]);
  });

  test("a huge value in the wrong field is quoted in 80 characters, not serialized whole", async () => {
    const huge = JSON.stringify({ nested: Array.from({ length: 200_000 }, (_, i) => i) });
    const [status, code, message] = await refused("/produce", `{"topic":"demo","messages":${huge}}`);
    expect([status, code]).toEqual([400, "INVALID_REQUEST"]);
    expect(message).toBe(`messages: expected array, got ${huge.slice(0, 80)}…`);
  });
});

test("unknown query fields are ignored on every route; a repeated one is refused", async () => {
  expect(await f.call("GET", "/list-topics?_=1700000000")).toEqual({ status: 200, body: { topics: ["demo"] } });
  expect(await f.call("GET", "/list-topics?internal=true&internal=false")).toEqual({
    status: 400,
    body: { error: "INVALID_REQUEST", message: "internal is given 2 times; give it once" },
  });
});

test("group body integers are numbers, not numeric strings", async () => {
  expect(await refused("/groups/g/members", '{"topics":["demo"],"session_timeout_ms":"10000"}')).toEqual([
    400,
    "INVALID_REQUEST",
    'session_timeout_ms must be an integer from 1000 to 1800000, got "10000"',
  ]);
});

describe("the body is UTF-8 JSON", () => {
  const bytes = (...parts: (string | number[])[]): Uint8Array =>
    Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

  test("bytes that are not UTF-8 are 400, saying where, and nothing is written", async () => {
    for (const [body, position] of [
      // Latin-1 "café": once stored as "caf\uFFFD" and acknowledged.
      [bytes('{"topic":"demo","message":"caf', [0xe9], '"}'), 30],
      [bytes('{"topic":"demo","message":"', [0xff, 0xfe], '"}'), 27],
      // An encoded surrogate (CESU-8) and an overlong "/" are not UTF-8 either.
      [bytes('{"topic":"demo","message":"', [0xed, 0xa0, 0x80], '"}'), 27],
      [bytes('{"topic":"demo","message":"', [0xc0, 0xaf], '"}'), 27],
      [bytes('{"topic":"demo","message":"x"}', [0xe2, 0x82]), 30],
    ] as const) {
      const before = f.snapshot();
      const res = await f.request("POST", "/produce", body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: "INVALID_REQUEST",
        message: `the request body is not valid UTF-8 (first bad byte at position ${position}); JSON must be sent as UTF-8`,
      });
      expect(f.snapshot()).toEqual(before);
    }
    expect((await f.call("GET", "/topics/demo")).body.partitions.map((p: { end_offset: number }) => p.end_offset)).toEqual([0, 0, 0]);
  });

  test("UTF-8 of every length, and a leading byte order mark, are read as sent", async () => {
    const message = "é€😀\u0000";
    const res = await f.request("POST", "/produce", bytes([0xef, 0xbb, 0xbf], JSON.stringify({ topic: "demo", message, partition: 1 })));
    expect(await res.json()).toEqual({ offset: 0, partition: 1 });
    expect(await f.call("GET", "/consume?topic=demo&partition=1&offset=0")).toEqual({ status: 200, body: { offset: 0, message } });
  });
});
