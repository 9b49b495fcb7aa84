import { afterAll, beforeAll, expect, test } from "bun:test";
import { StreamNestClient } from "../../src/client/index.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { runCli, startBroker, type BrokerProcess } from "../helpers/broker-harness.ts";

/**
 * Retention as an operator sets it with flags: small segments, a byte budget per
 * partition and a short check interval. Old segments go; a read below the new start is
 * a clear OFFSET_OUT_OF_RANGE naming it; what is kept reads back intact.
 */

let broker: BrokerProcess;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ broker, stop } = await startBroker({
    args: ["--segment-bytes=1024", "--retention-bytes=4096", "--retention-check-ms=100"],
  }));
});

afterAll(async () => {
  await stop();
});

async function outOfRange(read: Promise<unknown>): Promise<StreamNestError> {
  try {
    await read;
  } catch (error) {
    if (error instanceof StreamNestError) return error;
    throw error;
  }
  throw new Error("expected OFFSET_OUT_OF_RANGE");
}

test("--retention-bytes with --retention-check-ms deletes old segments and moves the start offset", async () => {
  const client = new StreamNestClient(broker.address);
  await client.createTopic("kept", 1);
  const messages = Array.from({ length: 400 }, (_, i) => `message ${String(i).padStart(4, "0")} ${"x".repeat(40)}`);
  for (let i = 0; i < messages.length; i += 10)
    await client.produceBatch("kept", messages.slice(i, i + 10).map((message) => ({ message, partition: 0 })));
  // Retention runs on the broker's own timer: wait for its effect, not for a time.
  let partition = (await client.describeTopic("kept")).partitions[0];
  while ((partition.size_bytes ?? Infinity) > 4096) {
    await Bun.sleep(50);
    partition = (await client.describeTopic("kept")).partitions[0];
  }
  const start = partition.start_offset ?? 0;
  expect(start).toBeGreaterThan(300);
  expect(partition.end_offset).toBe(400);
  const error = await outOfRange(client.readRecords("kept", 0, { offset: 0 }));
  expect(error.code).toBe("OFFSET_OUT_OF_RANGE");
  expect(error.message).toContain(`${start}`);
  const kept = await client.readRecords("kept", 0, { offset: start, max: 1000 });
  expect(kept.records.map((r) => r.message)).toEqual(messages.slice(start));
});

test("a retention check interval that is not a whole number of at least 100 ms is refused", async () => {
  for (const value of ["0", "abc", "1.5"]) {
    const result = await runCli(["broker", "--id=1", "--port=1", `--retention-check-ms=${value}`]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(`Error: --retention-check-ms must be a whole number from 100 to 2147483647, not "${value}"\n`);
  }
});
