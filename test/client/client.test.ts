import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { StreamNestClient, isBatchItemError, isUnreachable, type RecordView } from "../../src/client/index.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { startBroker, startCluster, type BrokerProcess } from "../helpers/broker-harness.ts";
import { networkInterfaces } from "node:os";
import { freePort } from "../helpers/ports.ts";
import { makeTestCa } from "../helpers/tls-certs.ts";
import { readFileSync } from "node:fs";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too tight.
setDefaultTimeout(60_000);

let broker: BrokerProcess;
let stop: () => Promise<void>;
let client: StreamNestClient;

beforeAll(async () => {
  ({ broker, stop } = await startBroker());
  client = new StreamNestClient(broker.address);
});

afterAll(async () => {
  await stop();
});

async function caught(promise: Promise<unknown>): Promise<StreamNestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StreamNestError) return error;
    throw error;
  }
  throw new Error("expected a StreamNestError");
}

describe("StreamNestClient against a real broker", () => {
  test("health", async () => {
    expect((await client.health()).status).toBe("ok");
  });

  test("createTopic, listTopics, metadata and partitionsOf", async () => {
    expect(await client.createTopic("orders", 3)).toEqual({ status: "created" });
    expect(await client.createTopic("orders", 3)).toEqual({ status: "exists" });
    const conflict = await caught(client.createTopic("orders", 4));
    expect(conflict.code).toBe("TOPIC_EXISTS");
    expect(conflict.status).toBe(409);

    expect(await client.listTopics()).toContain("orders");
    const metadata = await client.metadata();
    expect(metadata.topic_partitions.orders.partitions).toEqual(
      [0, 1, 2].map((partition) => ({ partition, broker: broker.address, leader: 1 })),
    );
    expect(await client.partitionsOf("orders")).toEqual(metadata.topic_partitions.orders.partitions);

    const missing = await caught(client.partitionsOf("nope"));
    expect(missing.code).toBe("TOPIC_NOT_FOUND");
    expect(missing.message).toBe(`topic "nope" does not exist on ${broker.address}`);
    expect(missing.details).toEqual({ topics: (await client.listTopics()).sort() });
  });

  test("produce, produceBatch, consume and readRecords see the same records", async () => {
    await client.createTopic("log", 2);
    expect(await client.produce("log", "m0", { partition: 1 })).toEqual({ partition: 1, offset: 0 });
    expect(await client.produce("log", "m1", { partition: 1, key: "k", headers: { h: "v" } })).toEqual({
      partition: 1,
      offset: 1,
    });
    const batch = await client.produceBatch("log", [
      { message: "b0", partition: 1 },
      { message: "b1", partition: 7 },
      { message: "b2", partition: 1 },
    ]);
    expect(batch[0]).toEqual({ partition: 1, offset: 2 });
    expect(isBatchItemError(batch[1])).toBe(true);
    expect(isBatchItemError(batch[1]) && batch[1].error).toBe("PARTITION_OUT_OF_RANGE");
    expect(batch[2]).toEqual({ partition: 1, offset: 3 });

    expect(await client.consume("log", 1, 0)).toEqual({ offset: 0, message: "m0" });
    expect(await client.consume("log", 1, 4)).toBeNull();

    const read = await client.readRecords("log", 1, { offset: 1, max: 2 });
    expect(read.next_offset).toBe(3);
    expect(read.records.map(({ offset, key, message, headers }) => ({ offset, key, message, headers }))).toEqual([
      { offset: 1, key: "k", message: "m1", headers: { h: "v" } },
      { offset: 2, key: null, message: "b0", headers: {} },
    ]);
    expect(typeof read.records[0].timestamp).toBe("number");

    const error = await caught(client.produce("log", "x", { partition: 9 }));
    expect(error.code).toBe("PARTITION_OUT_OF_RANGE");
    expect(error.message).toContain("9");
  });

  test("a long-poll read is answered by the append that arrives while it waits", async () => {
    await client.createTopic("poll", 1);
    const waiting = client.readRecords("poll", 0, { offset: 0, timeoutMs: 30_000 });
    await Bun.sleep(100); // let the read reach the broker first; correctness does not depend on it
    await client.produce("poll", "woken", { partition: 0 });
    const answer = await waiting;
    expect(answer.records.map((r) => r.message)).toEqual(["woken"]);
    expect(answer.next_offset).toBe(1);
  });

  test("stream delivers stored records, then live ones, in order, and ends when aborted", async () => {
    await client.createTopic("tail", 1);
    await client.produceBatch("tail", [{ message: "s0" }, { message: "s1" }]);
    const abort = new AbortController();
    const seen: RecordView[] = [];
    const reading = (async () => {
      try {
        for await (const record of client.stream("tail", 0, { offset: 1, signal: abort.signal })) {
          seen.push(record);
          if (record.offset === 1) await client.produce("tail", "s2");
          if (record.offset === 2) abort.abort();
        }
      } catch (error) {
        if (!abort.signal.aborted) throw error;
      }
    })();
    await reading;
    expect(seen.map((r) => [r.offset, r.message])).toEqual([
      [1, "s1"],
      [2, "s2"],
    ]);
  });

  test("describeTopic, schemas, registerSchema and deleteTopic", async () => {
    await client.createTopic("described", 2);
    await client.produceBatch("described", [{ message: "x", partition: 0 }, { message: "y", partition: 0 }]);
    const description = await client.describeTopic("described");
    expect(description.topic).toBe("described");
    expect(description.schema_version).toBeNull();
    expect(description.partitions.map((p) => [p.partition, p.start_offset, p.end_offset])).toEqual([
      [0, 0, 2],
      [1, 0, 0],
    ]);
    expect(description.partitions[0].size_bytes).toBeGreaterThan(0);

    expect(await client.schemas("described")).toEqual({ topic: "described", versions: [] });
    const schema = { type: "object", required: ["id"] };
    expect(await client.registerSchema("described", schema)).toEqual({ status: "schema registered", version: 1 });
    const schemas = await client.schemas("described");
    expect(schemas.versions.map((v) => [v.version, v.schema])).toEqual([[1, schema]]);
    expect(typeof schemas.versions[0].registered_at).toBe("number");
    expect((await client.describeTopic("described")).schema_version).toBe(1);
    const violation = await caught(client.produce("described", '{"name":"x"}'));
    expect(violation.code).toBe("SCHEMA_VIOLATION");

    expect(await client.deleteTopic("described")).toEqual({ status: "deleted", topic: "described" });
    expect(await client.listTopics()).not.toContain("described");
    expect((await caught(client.describeTopic("described"))).code).toBe("TOPIC_NOT_FOUND");
  });

  test("an unreachable broker is a LEADER_UNAVAILABLE that names the address tried", async () => {
    const port = await freePort();
    const error = await caught(new StreamNestClient(`localhost:${port}`).listTopics());
    expect(error.code).toBe("LEADER_UNAVAILABLE");
    expect(error.message).toBe(`cannot reach the broker at localhost:${port} (connection refused)`);
    expect(isUnreachable(error)).toBe(true);
  });

  test("a broker that requires a client certificate, asked without one, is said to (Bun's own words asked whether it speaks TLS)", async () => {
    const ca = makeTestCa();
    try {
      const issued = ca.issue("broker");
      const server = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        tls: { cert: Bun.file(issued.cert), key: Bun.file(issued.key), ca: Bun.file(ca.ca), requestCert: true, rejectUnauthorized: true },
        fetch: () => Response.json({ topics: [] }),
      });
      try {
        const error = await caught(new StreamNestClient(`localhost:${server.port}`, { tls: { ca: readFileSync(ca.ca, "utf8") } }).listTopics());
        expect([error.code, error.message]).toEqual([
          "LEADER_UNAVAILABLE",
          `cannot reach the broker at https://localhost:${server.port} (the TLS handshake failed: the broker may require a client certificate (--tls-cert and --tls-key), or it does not speak TLS on this port)`,
        ]);
      } finally {
        server.stop(true);
      }
    } finally {
      ca.remove();
    }
  });

  test("with several addresses, a dead one is passed over for the next", async () => {
    const port = await freePort();
    const failover = new StreamNestClient(`localhost:${port},${broker.address}`);
    expect(await failover.listTopics()).toContain("orders");
    expect(failover.baseUrl).toBe(`http://${broker.address}`);
  });
});

describe("StreamNestClient against a cluster", () => {
  test("metadata names the other brokers, and the client carries on through them when its own goes down", async () => {
    const cluster = await startCluster(3);
    try {
      const [one, two, three] = cluster.brokers;
      const started = new StreamNestClient(one.address);
      // One copy each: what broker 1 led has no other replica to fail over to.
      expect(await started.createTopic("spread", 3, { replicationFactor: 1 })).toEqual({ status: "created" });
      expect(started.addresses).toEqual([`http://${one.address}`]);
      await started.partitionsOf("spread");
      expect(started.addresses).toEqual([one, two, three].map((b) => `http://${b.address}`));
      expect(await started.produce("spread", "on two", { partition: 1 })).toEqual({ offset: 0, partition: 1 });
      await one.kill9();
      // Broker 1 is gone: reads and writes of what the others lead go through them.
      expect((await started.readRecords("spread", 1, { offset: 0 })).records.map((r) => r.message)).toEqual(["on two"]);
      expect(started.baseUrl).toBe(`http://${two.address}`);
      expect(await started.produce("spread", "after", { partition: 2 })).toEqual({ offset: 0, partition: 2 });
      // What broker 1 led is unavailable, and the answer says so.
      const down = await caught(started.readRecords("spread", 0, { offset: 0 }));
      expect(down.code).toBe("LEADER_UNAVAILABLE");
      expect(down.message).toContain(`broker 1 (${one.address})`);
    } finally {
      await cluster.stop();
    }
  });

  test("a broker advertising a loopback address is not learned through a broker reached by another name", async () => {
    // Reached at this machine's network address rather than localhost, as a remote
    // client would reach it: the brokers listen there (and dial each other there), and
    // advertise localhost.
    const host = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;
    expect(host).toBeDefined();
    const cluster = await startCluster(2, { host });
    try {
      const [one] = cluster.brokers;
      const remote = new StreamNestClient(`${host}:${one.port}`);
      expect((await remote.metadata()).brokers?.map((b) => b.address)).toEqual(cluster.brokers.map((b) => b.address));
      expect(remote.addresses).toEqual([`http://${host}:${one.port}`]);
    } finally {
      await cluster.stop();
    }
  });
});
