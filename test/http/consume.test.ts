import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appFixture, type AppFixture, gaugeValue, until } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
  for (const message of ["zero", "one", "two"]) await f.call("POST", "/produce", { topic: "demo", message, partition: 0 });
});
afterEach(async () => {
  await f.close();
});

describe("GET /consume", () => {
  test("answers the seed's {offset, message}", async () => {
    expect(await f.call("GET", "/consume?topic=demo&partition=0&offset=0")).toEqual({ status: 200, body: { offset: 0, message: "zero" } });
    expect(await f.call("GET", "/consume?topic=demo&partition=0&offset=2")).toEqual({ status: 200, body: { offset: 2, message: "two" } });
  });

  test("204 with no body at and past the end", async () => {
    for (const offset of [3, 4, 1000]) {
      const res = await f.request("GET", `/consume?topic=demo&partition=0&offset=${offset}`);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe("");
    }
    expect((await f.request("GET", "/consume?topic=demo&partition=1&offset=0")).status).toBe(204);
  });

  test("max returns several messages and the next offset", async () => {
    const res = await f.call("GET", "/consume?topic=demo&partition=0&offset=1&max=5");
    expect(res.status).toBe(200);
    expect(res.body.offset).toBe(1);
    expect(res.body.message).toBe("one");
    expect(res.body.messages.map((m: { offset: number; message: string }) => [m.offset, m.message])).toEqual([
      [1, "one"],
      [2, "two"],
    ]);
    expect(res.body.next_offset).toBe(3);
  });

  test("wait_ms waits for the append and is woken by it", async () => {
    const waiting = f.call("GET", "/consume?topic=demo&partition=1&offset=0&wait_ms=60000");
    // Once the request is parked, produce: the answer must carry the new message.
    await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 1);
    await f.call("POST", "/produce", { topic: "demo", message: "late", partition: 1 });
    expect(await waiting).toEqual({ status: 200, body: { offset: 0, message: "late" } });
    expect(await gaugeValue(f.broker.metrics.waitingFetches)).toBe(0);
  });

  test("wait_ms past the end is answered once the log reaches that offset, with the record there, counted once", async () => {
    const consumed = async (): Promise<number> => {
      await f.broker.metrics.text();
      return (await f.broker.metrics.messagesConsumed.get()).values[0]?.value ?? 0;
    };
    const before = await consumed();
    const waiting = f.call("GET", "/consume?topic=demo&partition=0&offset=4&wait_ms=60000");
    await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 1);
    await f.call("POST", "/produce", { topic: "demo", message: "three", partition: 0 });
    // Offset 3 is not yet offset 4: the answer keeps waiting.
    await until(async () => (await gaugeValue(f.broker.metrics.waitingFetches)) === 1);
    await f.call("POST", "/produce", { topic: "demo", message: "four", partition: 0 });
    expect(await waiting).toEqual({ status: 200, body: { offset: 4, message: "four" } });
    expect(await consumed()).toBe(before + 1);
  });

  test("wait_ms past the end waits for that offset, then 204 when nothing came", async () => {
    const res = await f.request("GET", "/consume?topic=demo&partition=0&offset=3&wait_ms=30");
    expect(res.status).toBe(204);
  });

  const bad: [string, number, string, string][] = [
    ["partition=0&offset=-1", 400, "INVALID_OFFSET", "offset"],
    ["partition=0&offset=abc", 400, "INVALID_OFFSET", "offset"],
    ["partition=0&offset=1.5", 400, "INVALID_OFFSET", "offset"],
    ["partition=0&offset=", 400, "INVALID_OFFSET", "offset"],
    ["partition=0", 400, "INVALID_REQUEST", "offset"],
    ["partition=x&offset=0", 400, "INVALID_REQUEST", "partition"],
    ["partition=2&offset=0", 400, "PARTITION_OUT_OF_RANGE", "partition 2"],
    ["partition=-1&offset=0", 400, "PARTITION_OUT_OF_RANGE", "partition -1"],
    ["partition=0&offset=0&max=0", 400, "INVALID_REQUEST", "max"],
    ["partition=0&offset=0&wait_ms=-5", 400, "INVALID_REQUEST", "wait_ms"],
  ];
  for (const [query, status, code, mention] of bad)
    test(`${query} is ${status} ${code}`, async () => {
      const before = f.snapshot();
      const res = await f.call("GET", `/consume?topic=demo&${query}`);
      expect(res.status).toBe(status);
      expect(res.body.error).toBe(code);
      expect(res.body.message).toContain(mention);
      expect(f.snapshot()).toEqual(before);
    });

  test("unknown topic is 404, a bad name 400, a missing topic 400", async () => {
    expect((await f.call("GET", "/consume?topic=nope&partition=0&offset=0")).body.error).toBe("TOPIC_NOT_FOUND");
    expect((await f.call("GET", "/consume?topic=nope&partition=0&offset=0")).status).toBe(404);
    const bad = await f.call("GET", `/consume?topic=${encodeURIComponent("../x")}&partition=0&offset=0`);
    expect([bad.status, bad.body.error]).toEqual([400, "INVALID_TOPIC_NAME"]);
    const missing = await f.call("GET", "/consume?partition=0&offset=0");
    expect([missing.status, missing.body.error]).toEqual([400, "INVALID_REQUEST"]);
    expect(missing.body.message).toContain("topic");
  });
});
