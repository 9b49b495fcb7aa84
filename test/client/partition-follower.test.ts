import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { StreamNestClient } from "../../src/client/index.ts";
import { followPartition, nextRetryMs, offsetRange, type StartAt } from "../../src/client/partition-follower.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { startBroker, type BrokerProcess } from "../helpers/broker-harness.ts";

setDefaultTimeout(60_000);

describe("pure parts", () => {
  test("nextRetryMs starts at the first pause and doubles up to the maximum", () => {
    const pauses: number[] = [];
    for (let ms = 0, i = 0; i < 6; i++) pauses.push((ms = nextRetryMs(ms, 200, 1000)));
    expect(pauses).toEqual([200, 400, 800, 1000, 1000, 1000]);
  });

  test("offsetRange reads an OFFSET_OUT_OF_RANGE refusal's range, nothing else", () => {
    expect(offsetRange(new StreamNestError("OFFSET_OUT_OF_RANGE", "x", { startOffset: 3, endOffset: 9 }))).toEqual({ start: 3, end: 9 });
    expect(offsetRange(new StreamNestError("OFFSET_OUT_OF_RANGE", "x"))).toBeUndefined();
    expect(offsetRange(new StreamNestError("LEADER_UNAVAILABLE", "x", { startOffset: 3, endOffset: 9 }))).toBeUndefined();
  });
});

describe("followPartition against a real broker", () => {
  let broker: BrokerProcess;
  let stop: () => Promise<void>;
  let client: StreamNestClient;
  beforeAll(async () => {
    ({ broker, stop } = await startBroker());
    client = new StreamNestClient(broker.address);
    await client.createTopic("f", 1);
    for (const m of ["a", "b", "c"]) await client.produce("f", m, { partition: 0 });
  });
  afterAll(async () => {
    await stop();
  });

  async function readToEnd(start: StartAt): Promise<string[]> {
    const seen: string[] = [];
    for await (const batch of followPartition(client, "f", 0, { start, signal: new AbortController().signal, exitAtEnd: true, max: 2 }))
      seen.push(...batch.map((r) => `${r.offset}:${r.message}`));
    return seen;
  }

  test("with exitAtEnd: from the beginning, from an offset, from the end", async () => {
    expect(await readToEnd({ from: "beginning" })).toEqual(["0:a", "1:b", "2:c"]);
    expect(await readToEnd({ from: "offset", offset: 2 })).toEqual(["2:c"]);
    expect(await readToEnd({ from: "latest" })).toEqual([]);
  });

  test("an offset past the end is thrown with the range, not retried", async () => {
    const error = await readToEnd({ from: "offset", offset: 7 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamNestError);
    expect((error as StreamNestError).message).toBe("offset 7 is past the end of f partition 0 (next offset: 3)");
  });

  test("the broker down and back: retried from the offset reached, nothing repeated or missed", async () => {
    const abort = new AbortController();
    const events: string[] = [];
    const seen: string[] = [];
    const reading = (async () => {
      const follow = followPartition(client, "f", 0, {
        start: { from: "beginning" },
        signal: abort.signal,
        longPollMs: 500,
        retryFirstMs: 100,
        retryMaxMs: 400,
        events: { retrying: (_e, first) => first && events.push("retrying"), recovered: () => events.push("recovered") },
      });
      for await (const batch of follow) {
        seen.push(...batch.map((r) => `${r.offset}:${r.message}`));
        if (seen.length === 4) abort.abort();
      }
    })();
    while (seen.length < 3) await Bun.sleep(20);
    await broker.kill9();
    while (!events.includes("retrying")) await Bun.sleep(20);
    await broker.start();
    await client.produce("f", "d", { partition: 0 });
    await reading;
    expect(seen).toEqual(["0:a", "1:b", "2:c", "3:d"]);
    expect(events).toEqual(["retrying", "recovered"]);
  });
});
