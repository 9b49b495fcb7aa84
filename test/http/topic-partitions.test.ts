import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture({ maxPartitions: 16 });
});
afterEach(async () => {
  await f.close();
});

describe("POST /topics/:topic/partitions", () => {
  test("grows the topic; the new partition takes records; describe shows the count", async () => {
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
    expect(await f.call("POST", "/topics/demo/partitions", { count: 3 })).toEqual({
      status: 200,
      body: { status: "created", topic: "demo", partitions: 3, previous: 2 },
    });
    expect(await f.call("POST", "/produce", { topic: "demo", message: "x", partition: 2 })).toEqual({ status: 200, body: { offset: 0, partition: 2 } });
    const described = await f.call("GET", "/topics/demo");
    expect(described.body.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2]);
  });

  test("validate_only answers valid and changes nothing on disk", async () => {
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 1 });
    const before = f.snapshot();
    expect(await f.call("POST", "/topics/demo/partitions", { count: 4, validate_only: true })).toEqual({
      status: 200,
      body: { status: "valid", topic: "demo", partitions: 4, previous: 1 },
    });
    expect(f.snapshot()).toEqual(before);
  });

  test("equal, fewer, a bad count, an unknown or badly named topic: 4xx with the reason, nothing changed", async () => {
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
    const before = f.snapshot();
    expect(await f.call("POST", "/topics/demo/partitions", { count: 2 })).toEqual({
      status: 400,
      body: { error: "INVALID_PARTITIONS", message: 'topic "demo" already has 2 partitions' },
    });
    expect((await f.call("POST", "/topics/demo/partitions", { count: 1 })).body.error).toBe("INVALID_PARTITIONS");
    expect((await f.call("POST", "/topics/demo/partitions", { count: 17 })).body).toEqual({
      error: "INVALID_PARTITIONS",
      message: "partitions must be an integer from 1 to 16, got 17",
    });
    const notInteger = await f.call("POST", "/topics/demo/partitions", { count: "three" });
    expect(notInteger.status).toBe(400);
    expect(notInteger.body.message).toContain("count must be an integer");
    expect((await f.call("POST", "/topics/demo/partitions", {})).status).toBe(400);
    expect(await f.call("POST", "/topics/nope/partitions", { count: 3 })).toEqual({
      status: 404,
      body: { error: "TOPIC_NOT_FOUND", message: 'topic "nope" does not exist' },
    });
    expect((await f.call("POST", "/topics/a%20b/partitions", { count: 3 })).body.error).toBe("INVALID_TOPIC_NAME");
    expect(f.snapshot()).toEqual(before);
  });

  test("is in the OpenAPI document", async () => {
    const doc = (await (await f.request("GET", "/swagger/json")).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/topics/{topic}/partitions"] ?? {})).toContain("post");
  });
});
