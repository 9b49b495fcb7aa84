import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { parseInteger } from "../../src/http/strict-fields.ts";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
  for (let i = 0; i < 20; i++) await f.call("POST", "/produce", { topic: "demo", message: `m${i}`, partition: 0 });
});
afterEach(async () => {
  await f.close();
});

const RECORDS = "/topics/demo/partitions/0/records";

/** Status, code and message of a refused request; the data dir is unchanged. */
async function refused(path: string, headers: Record<string, string> = {}): Promise<[number, string, string]> {
  const before = f.snapshot();
  const res = await f.request("GET", path, undefined, headers);
  const body = (await res.json()) as { error: string; message: string };
  expect(f.snapshot()).toEqual(before);
  return [res.status, body.error, body.message];
}

describe("integers in the query are plain decimal digits", () => {
  // Elysia's coercion read all of these as numbers: 0x10 was offset 16, " 1" offset 1.
  const lenient: [string, string][] = [
    ["0x10", '"0x10"'],
    ["1e1", '"1e1"'],
    ["+1", '" 1"'], // a + in a query string is a space
    ["%201", '" 1"'],
    ["1%20", '"1 "'],
    ["Infinity", '"Infinity"'],
    ["1.0", '"1.0"'],
    ["", '""'],
  ];
  for (const [raw, quoted] of lenient)
    for (const [route, path] of [
      ["/consume", `/consume?topic=demo&partition=0&offset=${raw}`],
      ["records", `${RECORDS}?offset=${raw}`],
      ["stream", `${RECORDS}/stream?offset=${raw}`],
    ])
      test(`${route}: offset=${raw} is 400 INVALID_OFFSET quoting it`, async () => {
        expect(await refused(path)).toEqual([400, "INVALID_OFFSET", `offset must be an integer of at least 0, got ${quoted}`]);
        expect(await f.broker.metrics.activeStreams.get()).toMatchObject({ values: [{ value: 0 }] });
      });

  test("an offset past 2^53 is refused as sent, not rounded to another offset", async () => {
    expect(await refused(`${RECORDS}?offset=9007199254740993`)).toEqual([
      400,
      "INVALID_OFFSET",
      'offset must be an integer of at least 0 and at most 9007199254740991, got "9007199254740993"',
    ]);
    expect((await refused("/consume?topic=demo&partition=0&offset=1e20"))[2]).toBe('offset must be an integer of at least 0, got "1e20"');
  });

  test("the largest safe offset is accepted (past the end: 204 on /consume)", async () => {
    const res = await f.request("GET", "/consume?topic=demo&partition=0&offset=9007199254740991");
    expect(res.status).toBe(204);
  });

  test("leading zeros and -0 are still the number they spell", async () => {
    expect(await f.call("GET", "/consume?topic=demo&partition=00&offset=007")).toEqual({ status: 200, body: { offset: 7, message: "m7" } });
    expect(await f.call("GET", "/consume?topic=demo&partition=0&offset=-0")).toEqual({ status: 200, body: { offset: 0, message: "m0" } });
  });

  test("max, max_bytes, timeout_ms and wait_ms name their range and quote the value", async () => {
    expect(await refused(`${RECORDS}?offset=0&max=0x10`)).toEqual([400, "INVALID_REQUEST", 'max must be an integer from 1 to 10000, got "0x10"']);
    expect(await refused(`${RECORDS}?offset=0&max=1e12`)).toEqual([400, "INVALID_REQUEST", 'max must be an integer from 1 to 10000, got "1e12"']);
    expect(await refused(`${RECORDS}?offset=0&max_bytes=-1`)).toEqual([
      400,
      "INVALID_REQUEST",
      'max_bytes must be an integer from 1 to 67108864, got "-1"',
    ]);
    // A huge timeout is refused, not accepted and held: the cap is in the message.
    expect(await refused(`${RECORDS}?offset=20&timeout_ms=1000000000000`)).toEqual([
      400,
      "INVALID_REQUEST",
      'timeout_ms must be an integer from 0 to 300000, got "1000000000000"',
    ]);
    expect(await refused("/consume?topic=demo&partition=0&offset=20&wait_ms=300001")).toEqual([
      400,
      "INVALID_REQUEST",
      'wait_ms must be an integer from 0 to 300000, got "300001"',
    ]);
    expect(await f.broker.metrics.waitingFetches.get()).toMatchObject({ values: [{ value: 0 }] });
  });

  test("a partition in the path or the query is plain digits too", async () => {
    expect(await refused("/topics/demo/partitions/0x1/records?offset=0")).toEqual([400, "INVALID_REQUEST", 'partition must be an integer, got "0x1"']);
    expect(await refused("/topics/demo/partitions/1e0/records/stream")).toEqual([400, "INVALID_REQUEST", 'partition must be an integer, got "1e0"']);
    expect(await refused("/consume?topic=demo&partition=%201&offset=0")).toEqual([400, "INVALID_REQUEST", 'partition must be an integer, got " 1"']);
    // A negative one is a number, and out of range.
    expect((await refused("/topics/demo/partitions/-1/records?offset=0")).slice(0, 2)).toEqual([400, "PARTITION_OUT_OF_RANGE"]);
  });

  test("a megabyte of digits is not echoed back", async () => {
    const [status, code, message] = await refused(`${RECORDS}?offset=${"9".repeat(100_000)}`);
    expect([status, code]).toEqual([400, "INVALID_OFFSET"]);
    expect(message).toBe(`offset must be an integer of at least 0, got "${"9".repeat(40)}…"`);
  });
});

test("Last-Event-ID is plain digits too", async () => {
  // (Header values arrive trimmed, so " 1" is 1.)
  for (const id of ["0x1", "1e0", "-1", "9007199254740993", "1, 2"])
    expect(await refused(`${RECORDS}/stream`, { "last-event-id": id })).toEqual([400, "INVALID_OFFSET", `Last-Event-ID must be a record offset, got ${JSON.stringify(id)}`]);
  expect(await f.broker.metrics.activeStreams.get()).toMatchObject({ values: [{ value: 0 }] });
});

describe("a field given twice is refused, not silently the last one", () => {
  const twice: [string, string][] = [
    [`${RECORDS}?offset=0&offset=2`, "offset is given 2 times; give it once"],
    [`${RECORDS}?offset=0&max=1&max=2&max=3`, "max is given 3 times; give it once"],
    [`${RECORDS}?offset=0&timeout_ms=0&timeout_ms=0`, "timeout_ms is given 2 times; give it once"],
    ["/consume?topic=demo&topic=other&partition=0&offset=0", "topic is given 2 times; give it once"],
    ["/consume?topic=demo&partition=0&partition=1&offset=0", "partition is given 2 times; give it once"],
    [`${RECORDS}/stream?offset=1&offset=2`, "offset is given 2 times; give it once"],
    // Escaped names are the same field (the URLSearchParams path, not the hand split).
    ["/consume?topic=demo&partition=0&offset=0&%6Fffset=1", "offset is given 2 times; give it once"],
    ["/consume?topic=demo&partition=0&offset=0&offset", "offset is given 2 times; give it once"],
  ];
  for (const [path, message] of twice)
    test(path, async () => {
      expect(await refused(path)).toEqual([400, "INVALID_REQUEST", message]);
      expect(await f.broker.metrics.activeStreams.get()).toMatchObject({ values: [{ value: 0 }] });
    });

  test("a query split by hand reads as one decoded by the URL standard", async () => {
    expect(await f.call("GET", "/consume?topic=demo&partition=0&offset=3")).toEqual({ status: 200, body: { offset: 3, message: "m3" } });
    expect(await f.call("GET", "/consume?topic=demo&partition=0&%6Fffset=%34")).toEqual({ status: 200, body: { offset: 4, message: "m4" } });
    expect(await f.call("GET", "/consume?&&topic=demo&partition=0&offset=5&")).toEqual({ status: 200, body: { offset: 5, message: "m5" } });
    expect(await refused("/consume?topic=demo&partition=0&offset")).toEqual([400, "INVALID_OFFSET", 'offset must be an integer of at least 0, got ""']);
    expect(await refused("/consume?topic=demo&partition=0&offset=1=2")).toEqual([400, "INVALID_OFFSET", 'offset must be an integer of at least 0, got "1=2"']);
  });

  test("unknown extra fields are still ignored", async () => {
    expect(await f.call("GET", "/consume?topic=demo&partition=0&offset=3&x=1&x=2")).toEqual({ status: 200, body: { offset: 3, message: "m3" } });
  });
});

describe("topic names in the path", () => {
  test("broken percent-encoding is refused naming what was sent", async () => {
    for (const path of ["/topics/%zz", "/topics/%zz/partitions/0/records?offset=0", "/topics/%E0%A4%A/partitions/0/records/stream", "/schemas/%"])
      expect(await refused(path)).toEqual([400, "INVALID_TOPIC_NAME", expect.stringContaining("is not valid percent-encoding")]);
    expect((await refused("/topics/%zz"))[2]).toBe('topic "%zz" is not valid percent-encoding');
    const before = f.snapshot();
    const res = await f.request("DELETE", "/topics/%zz");
    expect(res.status).toBe(400);
    expect(f.snapshot()).toEqual(before);
  });

  // Found by fuzzing: a group's broken encoding answered "params group: expected string, got null".
  test("a group's and a member's broken percent-encoding is refused the same way, naming the parameter", async () => {
    expect(await refused("/groups/%")).toEqual([400, "INVALID_REQUEST", 'group "%" is not valid percent-encoding']);
    expect(await refused("/groups/%zz/offsets")).toEqual([400, "INVALID_REQUEST", 'group "%zz" is not valid percent-encoding']);
    const join = await f.request("POST", "/groups/%/members", { topics: ["demo"] });
    expect([join.status, await join.json()]).toEqual([400, { error: "INVALID_REQUEST", message: 'group "%" is not valid percent-encoding' }]);
    const beat = await f.request("POST", "/groups/g/members/%E0%A4%A/heartbeat", { generation: 1 });
    expect([beat.status, await beat.json()]).toEqual([400, { error: "INVALID_REQUEST", message: 'member "%E0%A4%A" is not valid percent-encoding' }]);
  });

  test("an encoded '..' segment is resolved away by URL parsing, never a topic", async () => {
    const before = f.snapshot();
    for (const path of ["/topics/%2e%2e", "/topics/%2e%2e/partitions/0/records?offset=0", "/schemas/%2E%2e"]) {
      const res = await f.request("GET", path);
      expect([path, res.status, ((await res.json()) as { error: string }).error]).toEqual([path, 404, "NOT_FOUND"]);
    }
    expect((await f.request("DELETE", "/topics/%2e%2e")).status).toBe(404);
    expect(f.snapshot()).toEqual(before);
  });

  test("encoded slashes, NUL, spaces and non-ASCII never reach the file system", async () => {
    const cases: [string, string][] = [
      ["..%2Fx", "../x"],
      ["demo%2F..%2F..%2Fetc", "demo/../../etc"],
      ["a%00b", "a\u0000b"],
      ["a%20b", "a b"],
      ["%C3%A9", "é"],
    ];
    for (const [segment, name] of cases) {
      for (const [method, path] of [
        ["GET", `/topics/${segment}`],
        ["DELETE", `/topics/${segment}`],
        ["GET", `/schemas/${segment}`],
        ["GET", `/topics/${segment}/partitions/0/records?offset=0`],
        ["GET", `/topics/${segment}/partitions/0/records/stream`],
      ]) {
        const before = f.snapshot();
        const res = await f.request(method, path);
        const body = (await res.json()) as { error: string; message: string };
        expect([method, path, res.status, body.error]).toEqual([method, path, 400, "INVALID_TOPIC_NAME"]);
        expect(body.message).toContain(name);
        expect(f.snapshot()).toEqual(before);
      }
    }
  });
});

test("parseInteger", () => {
  expect(parseInteger("n", "12")).toBe(12);
  expect(parseInteger("n", "-3")).toBe(-3);
  expect(() => parseInteger("n", "-3", { minimum: 0, code: "INVALID_OFFSET" })).toThrow('n must be an integer of at least 0, got "-3"');
  expect(() => parseInteger("n", "5", { maximum: 4 })).toThrow('n must be an integer of at most 4, got "5"');
  expect(() => parseInteger("n", "٣")).toThrow("n must be an integer"); // Arabic-Indic digit
  // 2^53 is an integer; what is wrong is its size (it read "must be an integer of at least 0").
  expect(parseInteger("n", "9007199254740991", { minimum: 0 })).toBe(9007199254740991);
  expect(() => parseInteger("n", "9007199254740992", { minimum: 0 })).toThrow('n must be an integer of at least 0 and at most 9007199254740991, got "9007199254740992"');
  expect(() => parseInteger("n", "99999999999999999999999")).toThrow('n must be an integer and at most 9007199254740991, got "99999999999999999999999"');
});
