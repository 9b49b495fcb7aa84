import { afterEach, describe, expect, test } from "bun:test";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const unset = { value: null, source: "default" };

describe("a topic's own retention", () => {
  test("given at create-topic, shown by GET /topics/:topic with its source, kept across a restart", async () => {
    f = await appFixture({ log: { retentionBytes: 1_000_000 } });
    expect(await f.call("POST", "/create-topic", { topic: "short", partitions: 1, retention_ms: 60_000 })).toEqual({ status: 200, body: { status: "created" } });
    expect(await f.call("POST", "/create-topic", { topic: "plain", partitions: 1 })).toEqual({ status: 200, body: { status: "created" } });
    expect((await f.call("GET", "/topics/short")).body.config).toEqual({
      retention_ms: { value: 60_000, source: "topic" },
      retention_bytes: { value: 1_000_000, source: "broker" },
    });
    expect((await f.call("GET", "/topics/plain")).body.config).toEqual({ retention_ms: unset, retention_bytes: { value: 1_000_000, source: "broker" } });
    await f.reopen();
    expect((await f.call("GET", "/topics/short")).body.config.retention_ms).toEqual({ value: 60_000, source: "topic" });
  });

  test("PATCH sets what it names, null unsets, the rest is kept", async () => {
    f = await appFixture();
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 2, retention_ms: 1000, retention_bytes: 5000 });
    expect(await f.call("PATCH", "/topics/demo", { retention_ms: 86_400_000 })).toEqual({
      status: 200,
      body: { topic: "demo", config: { retention_ms: { value: 86_400_000, source: "topic" }, retention_bytes: { value: 5000, source: "topic" } } },
    });
    expect(await f.call("PATCH", "/topics/demo", { retention_bytes: null })).toEqual({
      status: 200,
      body: { topic: "demo", config: { retention_ms: { value: 86_400_000, source: "topic" }, retention_bytes: unset } },
    });
    expect((await f.call("GET", "/topics/demo")).body.config).toEqual({ retention_ms: { value: 86_400_000, source: "topic" }, retention_bytes: unset });
  });

  test("bad settings are refused with 400 naming what is wrong, and change nothing", async () => {
    f = await appFixture();
    await f.call("POST", "/create-topic", { topic: "demo", partitions: 1, retention_ms: 1000 });
    const before = f.snapshot();
    const cases: Array<[string, string, unknown, string]> = [
      ["PATCH", "/topics/demo", { retention_ms: -1 }, "retention_ms must be an integer ≥ 0 (or null to unset it), got -1"],
      ["PATCH", "/topics/demo", { retention_ms: 1.5 }, "retention_ms must be an integer ≥ 0 (or null to unset it), got 1.5"],
      ["PATCH", "/topics/demo", { retention_bytes: "10" }, 'retention_bytes must be an integer ≥ 0 (or null to unset it), got "10"'],
      ["PATCH", "/topics/demo", { retention: 5 }, 'unknown topic setting "retention"; the settings are retention_ms, retention_bytes'],
      ["PATCH", "/topics/demo", {}, "name at least one setting: retention_ms, retention_bytes"],
      ["PATCH", "/topics/demo", [1], "the request body must be a JSON object, not an array"],
      ["POST", "/create-topic", { topic: "other", partitions: 1, retention_ms: "1d" }, 'retention_ms must be an integer ≥ 0 (or null to unset it), got "1d"'],
      ["POST", "/create-topic", { topic: "other", partitions: 1, retention_bytes: 2 ** 60 }, `retention_bytes must be an integer ≥ 0 (or null to unset it), got ${2 ** 60}`],
    ];
    for (const [method, path, body, message] of cases) {
      expect([path, await f.call(method, path, body)]).toEqual([path, { status: 400, body: { error: "INVALID_REQUEST", message } }]);
    }
    expect(f.snapshot()).toEqual(before);
    expect((await f.call("GET", "/topics/demo")).body.config.retention_ms).toEqual({ value: 1000, source: "topic" });
    expect(await f.call("PATCH", "/topics/missing", { retention_ms: 5 })).toEqual({
      status: 404,
      body: { error: "TOPIC_NOT_FOUND", message: 'topic "missing" does not exist' },
    });
  });

  test("the retention pass applies a topic's own limit and leaves other topics alone", async () => {
    f = await appFixture({ log: { segmentBytes: 1024 }, retentionCheckMs: 50 });
    await f.call("POST", "/create-topic", { topic: "bounded", partitions: 1, retention_bytes: 2048 });
    await f.call("POST", "/create-topic", { topic: "kept", partitions: 1 });
    const message = "x".repeat(200);
    for (const topic of ["bounded", "kept"])
      for (let i = 0; i < 60; i++) expect((await f.call("POST", "/produce", { topic, message, partition: 0 })).status).toBe(200);
    const startOf = async (topic: string): Promise<number> => (await f!.call("GET", `/topics/${topic}`)).body.partitions[0].start_offset;
    // At most the limit plus the active segment stays (retention deletes whole segments);
    // a pass deletes segment by segment, so wait for the bound rather than the first move.
    const bound = 2048 + 1024 + 512;
    const describe = async () => (await f!.call("GET", "/topics/bounded")).body.partitions[0];
    const deadline = Date.now() + 20_000;
    let described = await describe();
    while ((described.start_offset === 0 || described.size_bytes > bound) && Date.now() < deadline) {
      await Bun.sleep(50);
      described = await describe();
    }
    expect(described.start_offset).toBeGreaterThan(0);
    expect(described.size_bytes).toBeLessThanOrEqual(bound);
    expect(described.end_offset).toBe(60);
    expect(await startOf("kept")).toBe(0);
    // Unset, it keeps what is left from now on. A pass that began before the change may
    // still finish, so the start is taken once a few passes (50 ms apart) have run since.
    expect((await f.call("PATCH", "/topics/bounded", { retention_bytes: null })).status).toBe(200);
    await Bun.sleep(300);
    const start = await startOf("bounded");
    expect(start).toBeGreaterThanOrEqual(described.start_offset);
    for (let i = 0; i < 30; i++) expect((await f.call("POST", "/produce", { topic: "bounded", message, partition: 0 })).status).toBe(200);
    await Bun.sleep(300);
    expect(await startOf("bounded")).toBe(start);
  }, 30_000);
});
