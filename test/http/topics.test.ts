import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture({ maxPartitions: 16 });
});
afterEach(async () => {
  await f.close();
});

const BAD_NAMES: [string, unknown][] = [
  ["../x", "../x"],
  ["a/b", "a/b"],
  ["empty", ""],
  [".", "."],
  ["..", ".."],
  ["250 characters", "a".repeat(250)],
  ["non-ASCII", "tópico"],
  ["a space", "a b"],
];

describe("POST /create-topic", () => {
  test("created, then exists for the same count, then 409 for another", async () => {
    expect(await f.call("POST", "/create-topic", { topic: "demo", partitions: 3 })).toEqual({
      status: 200,
      body: { status: "created" },
    });
    expect(await f.call("POST", "/create-topic", { topic: "demo", partitions: 3 })).toEqual({
      status: 200,
      body: { status: "exists" },
    });
    const before = f.snapshot();
    const conflict = await f.call("POST", "/create-topic", { topic: "demo", partitions: 4 });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toBe("TOPIC_EXISTS");
    expect(conflict.body.message).toContain("3 partitions");
    expect(f.snapshot()).toEqual(before);
    expect(f.broker.describeTopic("demo").partitions).toHaveLength(3);
  });

  test("249 characters is a legal name", async () => {
    const name = "a".repeat(249);
    expect((await f.call("POST", "/create-topic", { topic: name, partitions: 1 })).body).toEqual({ status: "created" });
  });

  for (const [label, name] of BAD_NAMES)
    test(`topic name ${label} is 400 INVALID_TOPIC_NAME and writes nothing`, async () => {
      const before = f.snapshot();
      const res = await f.call("POST", "/create-topic", { topic: name, partitions: 1 });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("INVALID_TOPIC_NAME");
      expect(typeof res.body.message).toBe("string");
      expect(f.snapshot()).toEqual(before);
      expect((await f.call("GET", "/list-topics")).body).toEqual({ topics: [] });
    });

  const BAD_COUNTS: [string, unknown, string][] = [
    ["0", 0, "INVALID_PARTITIONS"],
    ["-1", -1, "INVALID_PARTITIONS"],
    ["above --max-partitions", 17, "INVALID_PARTITIONS"],
    ["fractional", 1.5, "INVALID_PARTITIONS"],
    ["a word", "three", "INVALID_PARTITIONS"],
    ["a numeric string", "3", "INVALID_PARTITIONS"],
    ["true", true, "INVALID_PARTITIONS"],
    ["an array", [3], "INVALID_PARTITIONS"],
    ["null", null, "INVALID_PARTITIONS"],
    ["missing", undefined, "INVALID_REQUEST"],
  ];
  for (const [label, partitions, code] of BAD_COUNTS)
    test(`partitions ${label} is 400 ${code} and writes nothing`, async () => {
      const before = f.snapshot();
      const res = await f.call("POST", "/create-topic", { topic: "t", partitions });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe(code);
      expect(res.body.message).toContain("partitions");
      expect(f.snapshot()).toEqual(before);
    });

  test("the maximum partition count is allowed", async () => {
    expect((await f.call("POST", "/create-topic", { topic: "t", partitions: 16 })).body).toEqual({ status: "created" });
  });

  test("a missing or mistyped topic names the field", async () => {
    for (const body of [{ partitions: 1 }, { topic: 5, partitions: 1 }]) {
      const res = await f.call("POST", "/create-topic", body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe("INVALID_REQUEST");
      expect(res.body.message).toContain("topic");
    }
  });

  test("invalid JSON and a non-object body are 400 INVALID_REQUEST", async () => {
    const before = f.snapshot();
    for (const raw of ['{"topic":"a",', "", "[1,2]", '"text"', "null"]) {
      const res = await f.request("POST", "/create-topic", raw);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe("INVALID_REQUEST");
    }
    expect(f.snapshot()).toEqual(before);
  });

  test("a body sent as form data by curl -d is still read as JSON", async () => {
    const res = await f.request("POST", "/create-topic", '{"topic":"curl","partitions":1}', {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "created" });
  });
});

describe("GET /list-topics, /topics", () => {
  test("lists names sorted", async () => {
    await f.call("POST", "/create-topic", { topic: "b", partitions: 1 });
    await f.call("POST", "/create-topic", { topic: "a", partitions: 2 });
    expect(await f.call("GET", "/list-topics")).toEqual({ status: 200, body: { topics: ["a", "b"] } });
    expect(await f.call("GET", "/topics")).toEqual({ status: 200, body: { topics: ["a", "b"] } });
  });

  test("details=true adds each topic's partitions, messages and size in one answer", async () => {
    await f.call("POST", "/create-topic", { topic: "b", partitions: 1 });
    await f.call("POST", "/create-topic", { topic: "a", partitions: 3 });
    await f.call("POST", "/produce", { topic: "a", messages: [{ message: "x", partition: 0 }, { message: "yy", partition: 2 }, { message: "z", partition: 2 }] });
    const res = await f.call("GET", "/topics?details=true");
    expect(res.status).toBe(200);
    expect(res.body.topics).toEqual(["a", "b"]);
    const described = (await f.call("GET", "/topics/a")).body.partitions as Array<{ size_bytes: number }>;
    const size = described.reduce((sum, p) => sum + p.size_bytes, 0);
    expect(size).toBeGreaterThan(0);
    const [a, b] = res.body.details;
    expect(a).toEqual({
      topic: "a",
      created_at: a.created_at,
      schema_version: null,
      partitions: 3,
      replication_factor: 1,
      messages: 3,
      size_bytes: size,
      unreported_partitions: 0,
    });
    expect(typeof a.created_at).toBe("number");
    expect(b).toMatchObject({ topic: "b", partitions: 1, messages: 0, size_bytes: 0, unreported_partitions: 0 });
    expect(await f.call("GET", "/topics?details=false")).toEqual({ status: 200, body: { topics: ["a", "b"] } });
    expect((await f.call("GET", "/topics?details=true&details=true")).status).toBe(400);
    // Found by a tester: "yes" silently meant no details.
    for (const value of ["yes", "1", "TRUE", ""])
      expect(await f.call("GET", `/topics?details=${value}`)).toEqual({ status: 400, body: { error: "INVALID_REQUEST", message: `details must be "true" or "false", got "${value}"` } });
    expect(res.body.total).toBe(2);
  });

  test("contains, offset and limit select a page of the sorted names and say how many match", async () => {
    for (const name of ["orders", "Orders-eu", "payments", "orders.v2", "users"]) await f.call("POST", "/create-topic", { topic: name, partitions: 1 });
    expect(await f.call("GET", "/topics?contains=ORDER")).toEqual({ status: 200, body: { topics: ["Orders-eu", "orders", "orders.v2"], total: 3 } });
    expect(await f.call("GET", "/topics?contains=order&offset=1&limit=1")).toEqual({ status: 200, body: { topics: ["orders"], total: 3 } });
    expect(await f.call("GET", "/topics?offset=4")).toEqual({ status: 200, body: { topics: ["users"], total: 5 } });
    const page = await f.call("GET", "/topics?details=true&limit=2&offset=3");
    expect(page.body.topics).toEqual(["payments", "users"]);
    expect(page.body.total).toBe(5);
    expect(page.body.details.map((d: { topic: string }) => d.topic)).toEqual(["payments", "users"]);
    for (const bad of ["limit=0", "offset=-1", "offset=1e3", "limit=x", "offset=1&offset=2", "contains=a&contains=b"]) {
      const answer = await f.call("GET", `/topics?${bad}`);
      expect([bad, answer.status, answer.body.error]).toEqual([bad, 400, "INVALID_REQUEST"]);
    }
  });
});

describe("GET /metadata", () => {
  test("has the seed's topic_partitions shape with the advertised address", async () => {
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
    const res = await f.call("GET", "/metadata");
    expect(res.status).toBe(200);
    expect(res.body.topic_partitions).toEqual({
      demo: {
        partitions: [
          { partition: 0, broker: "localhost:9999", leader: 1 },
          { partition: 1, broker: "localhost:9999", leader: 1 },
        ],
      },
    });
    expect(res.body.brokers).toEqual([{ id: 1, address: "localhost:9999" }]);
  });

  test("a topic named __proto__ is an ordinary entry", async () => {
    await f.call("POST", "/create-topic", { topic: "__proto__", partitions: 1 });
    const res = await f.call("GET", "/metadata");
    expect(Object.keys(res.body.topic_partitions)).toEqual(["__proto__"]);
    expect(res.body.topic_partitions.__proto__.partitions).toHaveLength(1);
  });
});

describe("GET|DELETE /topics/:topic", () => {
  test("describes partitions with offsets, sizes and schema version", async () => {
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
    await f.call("POST", "/produce", { topic: "demo", message: "hello", partition: 1 });
    await f.call("POST", "/register-schema", { topic: "demo", schema: { type: "string" } });
    const res = await f.call("GET", "/topics/demo");
    expect(res.status).toBe(200);
    expect(res.body.topic).toBe("demo");
    expect(res.body.schema_version).toBe(1);
    expect(res.body.partitions.map((p: any) => [p.partition, p.leader, p.replicas, p.leader_epoch, p.broker])).toEqual([
      [0, 1, [1], 0, "localhost:9999"],
      [1, 1, [1], 0, "localhost:9999"],
    ]);
    expect(res.body.partitions[0]).toMatchObject({ start_offset: 0, end_offset: 0, size_bytes: 0 });
    expect(res.body.partitions[1]).toMatchObject({ start_offset: 0, end_offset: 1 });
    expect(res.body.partitions[1].size_bytes).toBeGreaterThan(5);
  });

  test("describing a never-written partition creates nothing on disk", async () => {
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 3 });
    const before = f.snapshot();
    expect((await f.call("GET", "/topics/demo")).status).toBe(200);
    expect(f.snapshot()).toEqual(before);
  });

  test("delete removes the topic, its schemas and its data", async () => {
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
    await f.call("POST", "/produce", { topic: "demo", message: "x", partition: 0 });
    await f.call("POST", "/register-schema", { topic: "demo", schema: { type: "string" } });
    expect(existsSync(join(f.dir, "demo-0"))).toBe(true);
    expect(await f.call("DELETE", "/topics/demo")).toEqual({ status: 200, body: { status: "deleted", topic: "demo" } });
    expect(existsSync(join(f.dir, "demo-0"))).toBe(false);
    expect((await f.call("GET", "/list-topics")).body).toEqual({ topics: [] });
    expect((await f.call("GET", "/topics/demo")).status).toBe(404);
    expect((await f.call("GET", "/schemas/demo")).status).toBe(404);
    // Created again, it starts empty and without a schema.
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
    expect(await f.call("GET", "/consume?topic=demo&partition=0&offset=0")).toEqual({ status: 204, body: null });
    expect((await f.call("POST", "/produce", { topic: "demo", message: "not json", partition: 0 })).body).toEqual({
      offset: 0,
      partition: 0,
    });
  });

  test("unknown topics are 404 TOPIC_NOT_FOUND; bad names 400", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await f.call(method, "/topics/nope");
      expect(res.status).toBe(404);
      expect(res.body.error).toBe("TOPIC_NOT_FOUND");
      const bad = await f.call(method, `/topics/${encodeURIComponent("a/b")}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe("INVALID_TOPIC_NAME");
    }
  });
});

describe("topic names that differ only in case", () => {
  test("are refused: their folders would be one on macOS and Windows", async () => {
    expect((await f.call("POST", "/create-topic", { topic: "orders", partitions: 2 })).body).toEqual({ status: "created" });
    await f.call("POST", "/produce", { topic: "orders", message: "kept", partition: 0 });
    const before = f.snapshot();
    for (const name of ["Orders", "ORDERS", "oRdErS"]) {
      const res = await f.call("POST", "/create-topic", { topic: name, partitions: 2 });
      expect(res).toEqual({
        status: 400,
        body: {
          error: "INVALID_TOPIC_NAME",
          message: `topic "${name}" differs from an existing topic only in case; their folders would collide on case-insensitive file systems (macOS, Windows)`,
        },
      });
    }
    expect(f.snapshot()).toEqual(before);
    expect((await f.call("GET", "/list-topics")).body).toEqual({ topics: ["orders"] });
    // Once the first is gone, the name is free in any case.
    expect((await f.call("DELETE", "/topics/orders")).status).toBe(200);
    expect((await f.call("POST", "/create-topic", { topic: "Orders", partitions: 1 })).body).toEqual({ status: "created" });
  });
});

test("a long name with more partitions than its folder names can hold is refused, not a 500 on first write", async () => {
  const big = await appFixture({ maxPartitions: 1_000_000 });
  try {
    const name = "a".repeat(249);
    const before = big.snapshot();
    expect(await big.call("POST", "/create-topic", { topic: name, partitions: 100_001 })).toEqual({
      status: 400,
      body: {
        error: "INVALID_PARTITIONS",
        message: 'a topic named with 249 characters can have at most 100000 partitions (its folders "<topic>-<partition>" must fit in 255 characters), not 100001',
      },
    });
    expect(big.snapshot()).toEqual(before);
    // The largest that fits is written and read back.
    expect((await big.call("POST", "/create-topic", { topic: name, partitions: 100_000 })).status).toBe(200);
    expect(await big.call("POST", "/produce", { topic: name, message: "x", partition: 99_999 })).toEqual({ status: 200, body: { offset: 0, partition: 99_999 } });
    expect(await big.call("GET", `/consume?topic=${name}&partition=99999&offset=0`)).toEqual({ status: 200, body: { offset: 0, message: "x" } });
  } finally {
    await big.close();
  }
});
