import { afterEach, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** AlterConfigs and IncrementalAlterConfigs over the wire to an in-process broker, and kafkajs's admin.alterConfigs. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setup() {
  running = await startInProcess({ advertise: "127.0.0.1:0" });
  const client = await RawClient.connect(running.kafka.port);
  await running.broker.createTopic("conf", 1);
  return { ...running, client };
}

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;

async function retentionOf(client: RawClient, topic: string) {
  const answer = await client.call("DescribeConfigs", 4, {
    resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: ["retention.ms", "retention.bytes"] }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  return answer.results[0].configs.map((c) => [c.name, c.value, c.configSource]);
}

describe("IncrementalAlterConfigs", () => {
  test("SET and DELETE of retention.ms and retention.bytes change the topic's own config; -1 is no limit", async () => {
    const { client, broker } = await setup();
    const set = await client.call("IncrementalAlterConfigs", 1, {
      resources: [
        {
          resourceType: TOPIC,
          resourceName: "conf",
          configs: [
            { name: "retention.ms", configOperation: SET, value: "60000" },
            { name: "retention.bytes", configOperation: SET, value: "-1" },
          ],
        },
      ],
      validateOnly: false,
    });
    expect(set.responses).toEqual([{ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: "conf" }]);
    expect(broker.describeTopic("conf").config).toEqual({ retentionMs: 60000, retentionBytes: Number.MAX_SAFE_INTEGER });
    expect(await retentionOf(client, "conf")).toEqual([
      ["retention.ms", "60000", 1],
      ["retention.bytes", "-1", 1],
    ]);
    const unset = await client.call("IncrementalAlterConfigs", 0, {
      resources: [{ resourceType: TOPIC, resourceName: "conf", configs: [{ name: "retention.bytes", configOperation: DELETE, value: null }] }],
      validateOnly: false,
    });
    expect(unset.responses[0].errorCode).toBe(0);
    expect(broker.describeTopic("conf").config).toEqual({ retentionMs: 60000 });
  });

  test("unknown and read-only configs, bad values and APPEND are INVALID_CONFIG naming them, and change nothing", async () => {
    const { client, broker } = await setup();
    const answer = await client.call("IncrementalAlterConfigs", 1, {
      resources: [
        {
          resourceType: TOPIC,
          resourceName: "conf",
          configs: [
            { name: "retention.ms", configOperation: SET, value: "5" },
            { name: "segment.bytes", configOperation: SET, value: "1024" },
            { name: "no.such.config", configOperation: SET, value: "1" },
          ],
        },
        { resourceType: TOPIC, resourceName: "conf", configs: [{ name: "retention.ms", configOperation: SET, value: "soon" }] },
        { resourceType: TOPIC, resourceName: "conf", configs: [{ name: "cleanup.policy", configOperation: APPEND, value: "compact" }] },
        { resourceType: TOPIC, resourceName: "missing", configs: [{ name: "retention.ms", configOperation: SET, value: "5" }] },
        { resourceType: BROKER, resourceName: "1", configs: [{ name: "log.retention.ms", configOperation: SET, value: "5" }] },
      ],
      validateOnly: false,
    });
    expect(answer.responses.map((r) => [r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      [
        "conf",
        KAFKA_ERROR.INVALID_CONFIG,
        "unknown config no.such.config; read-only config segment.bytes (only retention.ms and retention.bytes can be changed)",
      ],
      ["conf", KAFKA_ERROR.INVALID_CONFIG, 'retention.ms must be -1 (no limit) or an integer ≥ 0, got "soon"'],
      ["conf", KAFKA_ERROR.INVALID_CONFIG, "cleanup.policy: APPEND and SUBTRACT change list configs; the only one here, cleanup.policy, is read-only"],
      ["missing", KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, 'topic "missing" does not exist'],
      ["1", KAFKA_ERROR.INVALID_CONFIG, "read-only config log.retention.ms (only retention.ms and retention.bytes can be changed)"],
    ]);
    expect(broker.describeTopic("conf").config).toEqual({});
  });

  test("validate_only checks and changes nothing", async () => {
    const { client, broker } = await setup();
    const answer = await client.call("IncrementalAlterConfigs", 1, {
      resources: [{ resourceType: TOPIC, resourceName: "conf", configs: [{ name: "retention.ms", configOperation: SET, value: "1000" }] }],
      validateOnly: true,
    });
    expect(answer.responses[0].errorCode).toBe(0);
    expect(broker.describeTopic("conf").config).toEqual({});
  });
});

describe("AlterConfigs", () => {
  test("replaces the topic's dynamic configs: what it does not name is unset; a read-only config with its current value is accepted", async () => {
    const { client, broker } = await setup();
    await broker.setTopicConfig("conf", { retentionMs: 1000, retentionBytes: 2000 });
    const answer = await client.call("AlterConfigs", 2, {
      resources: [
        {
          resourceType: TOPIC,
          resourceName: "conf",
          configs: [
            { name: "retention.bytes", value: "3000" },
            { name: "cleanup.policy", value: "delete" },
          ],
        },
      ],
      validateOnly: false,
    });
    expect(answer.responses).toEqual([{ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: "conf" }]);
    expect(broker.describeTopic("conf").config).toEqual({ retentionBytes: 3000 });
    const refused = await client.call("AlterConfigs", 0, {
      resources: [{ resourceType: TOPIC, resourceName: "conf", configs: [{ name: "cleanup.policy", value: "compact" }] }],
      validateOnly: false,
    });
    expect([refused.responses[0].errorCode, refused.responses[0].errorMessage]).toEqual([
      KAFKA_ERROR.INVALID_CONFIG,
      "read-only config cleanup.policy (only retention.ms and retention.bytes can be changed)",
    ]);
    expect(broker.describeTopic("conf").config).toEqual({ retentionBytes: 3000 });
  });

  test("kafkajs admin.alterConfigs sets retention.ms, read back by admin.describeConfigs", async () => {
    const { kafka: adapter, broker } = await setup();
    const kafka = new Kafka({ clientId: "alter-configs", brokers: [`127.0.0.1:${adapter.port}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: "conf", configEntries: [{ name: "retention.ms", value: "123456" }] }] });
      expect(broker.describeTopic("conf").config).toEqual({ retentionMs: 123456 });
      const { resources } = await admin.describeConfigs({ resources: [{ type: TOPIC, name: "conf", configNames: ["retention.ms"] }], includeSynonyms: false });
      expect(resources[0].configEntries.map((c) => [c.configName, c.configValue, c.readOnly, c.configSource])).toEqual([["retention.ms", "123456", false, 1]]);
      await expect(
        admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: "conf", configEntries: [{ name: "segment.bytes", value: "1" }] }] }),
      ).rejects.toMatchObject({ type: "INVALID_CONFIG" });
    } finally {
      await admin.disconnect();
    }
  });
});
