import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";
import { allAlive, get, type MetadataAnswer, post } from "../helpers/cluster-http.ts";

/** A schema registered through one broker holds on every broker, for every partition. */

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster(3);
  await allAlive(cluster);
  expect((await post(cluster.broker(1), "/create-topic", { topic: "orders", partitions: 3 })).status).toBe(200);
});
afterAll(async () => {
  await cluster?.stop();
});

const SCHEMA = {
  type: "object",
  required: ["id", "amount"],
  properties: { id: { type: "integer" }, amount: { type: "number", minimum: 0 } },
};

describe("schemas in a cluster", () => {
  test("registered on one broker, the schema refuses bad messages on the others, whichever broker leads", async () => {
    const registered = await post<{ status: string; version: number }>(cluster.broker(2), "/register-schema", {
      topic: "orders",
      schema: SCHEMA,
    });
    expect(registered).toEqual({ status: 200, body: { status: "schema registered", version: 1 } });
    const schemas = await Promise.all(cluster.brokers.map((b) => get(b, "/schemas/orders")));
    for (const s of schemas) {
      expect(s.status).toBe(200);
      expect(s.body).toEqual(schemas[0].body);
    }
    expect((schemas[0].body as { versions: Array<{ schema: unknown }> }).versions.map((v) => v.schema)).toEqual([SCHEMA]);

    let offset = 0;
    for (const b of cluster.brokers) {
      for (let p = 0; p < 3; p++) {
        for (const bad of ['{"id":"seven","amount":1}', '{"id":7}', '{"id":7,"amount":-1}', "not json at all"]) {
          const refused = await post<{ error: string; message: string }>(b, "/produce", { topic: "orders", message: bad, partition: p });
          expect(refused.status).toBe(400);
          expect(refused.body.error).toBe("SCHEMA_VIOLATION");
        }
        const good = `{"id":${offset},"amount":2.5}`;
        const ack = await post(b, "/produce", { topic: "orders", message: good, partition: p });
        expect(ack).toEqual({ status: 200, body: { offset: Math.floor(offset / 3), partition: p } });
        offset++;
      }
    }
    // Nothing refused was written anywhere: each partition holds only the good messages.
    for (let p = 0; p < 3; p++) {
      const read = await get<{ records: Array<{ message: string }> }>(cluster.broker(((p + 1) % 3) + 1), `/topics/orders/partitions/${p}/records?offset=0`);
      expect(read.body.records.map((r) => r.message)).toEqual([0, 1, 2].map((b) => `{"id":${b * 3 + p},"amount":2.5}`));
    }
  });

  test("a schema that does not compile is refused on any broker and changes nothing", async () => {
    const before = (await get<MetadataAnswer>(cluster.broker(1), "/metadata")).body.version;
    const refused = await post<{ error: string }>(cluster.broker(3), "/register-schema", {
      topic: "orders",
      schema: { type: "no-such-type" },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("INVALID_SCHEMA");
    for (const b of cluster.brokers) expect((await get<MetadataAnswer>(b, "/metadata")).body.version).toBe(before);
  });
});
