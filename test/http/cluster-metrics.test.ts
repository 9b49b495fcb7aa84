import { afterEach, beforeEach, expect, test } from "bun:test";
import { appFixture, type AppFixture } from "./fixture.ts";

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
});
afterEach(async () => {
  await f.close();
});

test("GET /cluster/metrics: a lone broker reports its own counters and the disk its logs use", async () => {
  await f.call("POST", "/create-topic", { topic: "demo", partitions: 2 });
  await f.call("POST", "/create-topic", { topic: "idle", partitions: 1 });
  await f.call("POST", "/produce", { topic: "demo", messages: [{ message: "ab", partition: 0 }, { message: "c", partition: 1 }, { message: "d", partition: 1 }] });
  await f.call("GET", "/topics/demo/partitions/1/records?offset=0");
  const described = (await f.call("GET", "/topics/demo")).body.partitions as Array<{ size_bytes: number }>;
  const res = await f.call("GET", "/cluster/metrics");
  expect(res).toEqual({
    status: 200,
    body: {
      broker: 1,
      brokers: [
        {
          id: 1,
          address: f.broker.self.address,
          self: true,
          alive: true,
          error: null,
          metrics: {
            produced_total: 3,
            consumed_total: 2,
            bytes_in_total: 4,
            bytes_out_total: 2,
            produced_by_topic: { demo: 3 },
            consumed_by_topic: { demo: 2 },
            disk_bytes: described[0].size_bytes + described[1].size_bytes,
            partition_logs: 2,
          },
        },
      ],
    },
  });
});

test("GET /cluster/metrics counts logs written before a restart without a read of them", async () => {
  await f.call("POST", "/create-topic", { topic: "kept", partitions: 1 });
  await f.call("POST", "/produce", { topic: "kept", message: "hello" });
  const size = (await f.call("GET", "/topics/kept")).body.partitions[0].size_bytes as number;
  await f.reopen();
  const metrics = (await f.call("GET", "/cluster/metrics")).body.brokers[0].metrics;
  expect(metrics).toMatchObject({ produced_total: 0, disk_bytes: size, partition_logs: 1 });
});
