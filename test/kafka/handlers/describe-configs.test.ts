import { afterEach, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { CORE } from "../../../src/config/core.ts";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** DescribeConfigs over the wire to an in-process broker: topic and broker settings, errors, and kafkajs's admin. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setup() {
  running = await startInProcess({ advertise: "127.0.0.1:0" });
  return { ...running, client: await RawClient.connect(running.kafka.port) };
}

/** A broker whose log flags differ from the defaults. */
async function startWith(log: { retentionMs?: number }) {
  running = await startInProcess({ advertise: "127.0.0.1:0" }, { log });
  return { ...running, client: await RawClient.connect(running.kafka.port) };
}

const TOPIC = 2;
const BROKER = 4;
/** Config sources (KIP-226). */
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

describe("DescribeConfigs", () => {
  test("a topic's settings under Kafka's topic names, with types and sources; retention alterable, the rest read-only", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("conf", 2);
    const answer = await client.call("DescribeConfigs", 4, {
      resources: [{ resourceType: TOPIC, resourceName: "conf", configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const [r] = answer.results;
    expect([r.errorCode, r.errorMessage, r.resourceType, r.resourceName]).toEqual([0, null, TOPIC, "conf"]);
    expect(r.configs.map((c) => [c.name, c.value, c.configType, c.configSource, c.readOnly, c.isSensitive])).toEqual([
      ["retention.ms", "-1", 5, DEFAULT_CONFIG, false, false],
      ["retention.bytes", "-1", 5, DEFAULT_CONFIG, false, false],
      ["segment.bytes", String(CORE.segmentBytes.default), 3, DEFAULT_CONFIG, true, false],
      ["max.message.bytes", String(CORE.maxMessageBytes.default), 3, DEFAULT_CONFIG, true, false],
      ["cleanup.policy", "delete", 7, DEFAULT_CONFIG, true, false],
      ["min.insync.replicas", "1", 3, DEFAULT_CONFIG, true, false],
      ["replication.factor", "1", 3, DYNAMIC_TOPIC_CONFIG, true, false],
    ]);
    expect(r.configs.every((c) => c.synonyms.length === 0 && c.documentation === null)).toBe(true);
  });

  test("configuration keys select settings; an unknown key is left out", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("conf", 1);
    const answer = await client.call("DescribeConfigs", 1, {
      resources: [{ resourceType: TOPIC, resourceName: "conf", configurationKeys: ["segment.bytes", "no.such.key", "cleanup.policy"] }],
      includeSynonyms: true,
    });
    expect(answer.results[0].configs.map((c) => [c.name, c.value])).toEqual([
      ["segment.bytes", String(CORE.segmentBytes.default)],
      ["cleanup.policy", "delete"],
    ]);
  });

  test("the broker by its id or the empty name, under Kafka's broker names; v0 has isDefault and no source", async () => {
    const { client } = await setup();
    for (const name of ["1", ""]) {
      const answer = await client.call("DescribeConfigs", 0, { resources: [{ resourceType: BROKER, resourceName: name, configurationKeys: null }] });
      const [r] = answer.results;
      expect([r.errorCode, r.resourceName]).toEqual([0, name]);
      expect(r.configs.map((c) => [c.name, c.isDefault, c.configSource])).toEqual([
        ["log.retention.ms", true, -1],
        ["log.retention.bytes", true, -1],
        ["log.segment.bytes", true, -1],
        ["message.max.bytes", true, -1],
        ["log.cleanup.policy", true, -1],
        ["min.insync.replicas", true, -1],
        ["default.replication.factor", false, -1],
      ]);
    }
  });

  test("a topic's own setting is DYNAMIC_TOPIC_CONFIG over the broker's flag (STATIC_BROKER_CONFIG); synonyms and documentation when asked", async () => {
    const { client, broker } = await startWith({ retentionMs: 86_400_000 });
    await broker.createTopic("own", 1, { config: { retentionBytes: 4096 } });
    const answer = await client.call("DescribeConfigs", 4, {
      resources: [{ resourceType: TOPIC, resourceName: "own", configurationKeys: ["retention.ms", "retention.bytes"] }],
      includeSynonyms: true,
      includeDocumentation: true,
    });
    expect(answer.results[0].configs.map((c) => [c.name, c.value, c.configSource, c.synonyms])).toEqual([
      ["retention.ms", "86400000", STATIC_BROKER_CONFIG, [{ name: "log.retention.ms", value: "86400000", source: STATIC_BROKER_CONFIG }]],
      [
        "retention.bytes",
        "4096",
        DYNAMIC_TOPIC_CONFIG,
        [
          { name: "retention.bytes", value: "4096", source: DYNAMIC_TOPIC_CONFIG },
          { name: "log.retention.bytes", value: "-1", source: DEFAULT_CONFIG },
        ],
      ],
    ]);
    expect(answer.results[0].configs.every((c) => typeof c.documentation === "string" && c.documentation.length > 0)).toBe(true);
  });

  test("an unknown topic, another broker's id and an unsupported resource type each fail alone", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("conf", 1);
    const answer = await client.call("DescribeConfigs", 4, {
      resources: [
        { resourceType: TOPIC, resourceName: "missing", configurationKeys: null },
        { resourceType: BROKER, resourceName: "7", configurationKeys: null },
        { resourceType: 3, resourceName: "some-group", configurationKeys: null },
        { resourceType: TOPIC, resourceName: "conf", configurationKeys: ["cleanup.policy"] },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(answer.results.map((r) => [r.resourceName, r.errorCode, r.errorMessage, r.configs.length])).toEqual([
      ["missing", KAFKA_ERROR.UNKNOWN_TOPIC_OR_PARTITION, 'topic "missing" does not exist', 0],
      ["7", KAFKA_ERROR.INVALID_REQUEST, "unexpected broker id, expected 1 or empty string, but received 7", 0],
      ["some-group", KAFKA_ERROR.INVALID_REQUEST, "resource type 3 has no configs here (topics are 2, brokers 4)", 0],
      ["conf", KAFKA_ERROR.NONE, null, 1],
    ]);
  });

  test("kafkajs admin.describeConfigs reads a topic's and the broker's settings", async () => {
    const { kafka: adapter, broker } = await setup();
    await broker.createTopic("kjs-conf", 1);
    const kafka = new Kafka({ clientId: "describe-configs", brokers: [`127.0.0.1:${adapter.port}`], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        resources: [
          { type: TOPIC, name: "kjs-conf", configNames: ["cleanup.policy", "segment.bytes"] },
          { type: BROKER, name: "1", configNames: ["message.max.bytes"] },
        ],
        includeSynonyms: false,
      });
      const byName = new Map(resources.map((r) => [r.resourceName, r.configEntries.map((c) => [c.configName, c.configValue, c.readOnly])]));
      expect(byName.get("kjs-conf")).toEqual([
        ["segment.bytes", String(CORE.segmentBytes.default), true],
        ["cleanup.policy", "delete", true],
      ]);
      expect(byName.get("1")).toEqual([["message.max.bytes", String(broker.config.maxMessageBytes), true]]);
    } finally {
      await admin.disconnect();
    }
  });
});
