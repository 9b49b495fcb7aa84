import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokerConfig } from "../../src/broker/config.ts";
import { BrokerNode } from "../../src/node/broker-node.ts";
import { freePort } from "../helpers/ports.ts";

const root = mkdtempSync(join(tmpdir(), "streamnest-node-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("one config makes a serving broker: core, cluster link and HTTP adapter; close stops them all", async () => {
  const port = await freePort();
  const node = BrokerNode.open(brokerConfig({ id: 4, dataDir: join(root, "b4"), host: "127.0.0.1", port, advertise: `localhost:${port}` }));
  await node.serve();
  const url = `http://127.0.0.1:${port}`;
  const health = (await (await fetch(`${url}/health`)).json()) as { id: number; address: string };
  expect([health.id, health.address]).toEqual([4, `localhost:${port}`]);
  expect((await fetch(`${url}/create-topic`, { method: "POST", body: JSON.stringify({ topic: "n", partitions: 1 }) })).status).toBe(200);
  const produced = await fetch(`${url}/produce`, { method: "POST", body: JSON.stringify({ topic: "n", message: "hi" }) });
  expect(await produced.json()).toEqual({ offset: 0, partition: 0 });
  // Without a cluster secret it accepts no call from another broker.
  expect((await fetch(`${url}/internal/metadata`)).status).toBe(401);
  const cluster = (await (await fetch(`${url}/cluster`)).json()) as { broker: number; controller: number };
  expect([cluster.broker, cluster.controller]).toEqual([4, 4]);
  await node.close();
  await node.close();
  expect(await fetch(`${url}/health`).then(() => "answered", () => "refused")).toBe("refused");
});
