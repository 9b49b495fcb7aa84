import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/broker/broker.ts";
import { brokerConfig } from "../../src/broker/config.ts";
import { createApp, type StreamNestApp } from "../../src/http/app.ts";
import { BrokerMetrics } from "../../src/metrics/metrics.ts";

/**
 * POST /admin/partitions/:topic/:partition/accept-data-loss on one real broker, driven in
 * process. A data dir "born" after the topic (diskBornAt in the future here; in a cluster,
 * a wiped dir that learns the topic back from the quorum) has lost the partition.
 */

const open: Array<{ broker: Broker; dir: string }> = [];
afterEach(async () => {
  for (const { broker, dir } of open.splice(0)) {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function start(diskBornAt: number): { broker: Broker; app: StreamNestApp; warnings: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-admin-"));
  const warnings: string[] = [];
  const broker = Broker.open(brokerConfig({ id: 1, dataDir: dir, port: 9999 }), {
    metrics: new BrokerMetrics({ defaultMetrics: false }),
    warn: (m) => warnings.push(m),
    diskBornAt,
  });
  open.push({ broker, dir });
  return { broker, app: createApp(broker, { logError: () => {} }), warnings };
}

async function call(app: StreamNestApp, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await app.handle(
    new Request(`http://localhost${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }),
  );
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

describe("POST /admin/partitions/:topic/:partition/accept-data-loss", () => {
  test("a partition that lost nothing: 400, and a missing topic or partition as any read would be", async () => {
    const { app } = start(0);
    await call(app, "POST", "/create-topic", { topic: "fine", partitions: 1 });
    expect(await call(app, "POST", "/admin/partitions/fine/0/accept-data-loss")).toEqual({
      status: 400,
      body: { error: "INVALID_REQUEST", message: 'partition 0 of topic "fine" has not lost its data on this broker; nothing to accept' },
    });
    expect((await call(app, "POST", "/admin/partitions/nope/0/accept-data-loss")).status).toBe(404);
    expect((await call(app, "POST", "/admin/partitions/fine/3/accept-data-loss")).body.error).toBe("PARTITION_OUT_OF_RANGE");
    expect((await call(app, "POST", "/admin/partitions/fine/x/accept-data-loss")).status).toBe(400);
  });

  test("a lost partition is offline until accepted, then comes back empty under a new leader epoch", async () => {
    const { app, warnings } = start(Date.now() + 3_600_000);
    await call(app, "POST", "/create-topic", { topic: "gone", partitions: 2 });
    const refused = await call(app, "POST", "/produce", { topic: "gone", message: "x", partition: 0 });
    expect(refused.status).toBe(503);
    expect(refused.body.details).toEqual({ partition: 0, state: "offline", leader: 1, broker: "localhost:9999", dataLost: true });
    expect((await call(app, "GET", "/consume?topic=gone&partition=1&offset=0")).status).toBe(503);
    expect(warnings.filter((w) => w.includes('partition 0 of topic "gone": its log is not in this broker\'s data directory'))).toHaveLength(1);
    expect(await call(app, "POST", "/admin/partitions/gone/0/accept-data-loss")).toEqual({
      status: 200,
      body: { status: "accepted", topic: "gone", partition: 0, leader_epoch: 1 },
    });
    expect(await call(app, "POST", "/produce", { topic: "gone", message: "x", partition: 0 })).toEqual({ status: 200, body: { offset: 0, partition: 0 } });
    // The other partition is still offline: each is accepted on its own.
    expect((await call(app, "POST", "/produce", { topic: "gone", message: "y", partition: 1 })).status).toBe(503);
    expect(await call(app, "POST", "/admin/partitions/gone/0/accept-data-loss")).toMatchObject({ status: 400 });
  });
});
