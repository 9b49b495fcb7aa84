import { afterEach, describe, expect, test } from "bun:test";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/** CreateTopics over the wire to an in-process broker: configs, validate_only and refusals. */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setup() {
  running = await startInProcess({ advertise: "127.0.0.1:0" });
  return { ...running, client: await RawClient.connect(running.kafka.port) };
}

const topic = (name: string, configs: { name: string; value: string | null }[] = [], numPartitions = 2) => ({
  name,
  numPartitions,
  replicationFactor: -1,
  assignments: [],
  configs,
});

describe("CreateTopics", () => {
  // Found by fuzzing: the first mention was created and the second answered TOPIC_ALREADY_EXISTS.
  test("a name given twice in one request is INVALID_REQUEST for both mentions and is not created; the others are", async () => {
    const { client, broker } = await setup();
    const answer = await client.call("CreateTopics", 7, {
      topics: [topic("twice", [], 1), topic("once"), topic("twice", [], 3)],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(answer.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      ["twice", KAFKA_ERROR.INVALID_REQUEST, 'topic "twice" is named more than once in this request'],
      ["once", KAFKA_ERROR.NONE, null],
      ["twice", KAFKA_ERROR.INVALID_REQUEST, 'topic "twice" is named more than once in this request'],
    ]);
    expect(broker.clusterMetadata().topics.map((t) => t.topic).filter((n) => !n.startsWith("__"))).toEqual(["once"]);
  });

  test("configs set the topic's own retention and are answered (v5+) as DescribeConfigs shows them", async () => {
    const { client, broker } = await setup();
    const answer = await client.call("CreateTopics", 7, {
      topics: [
        topic("kept", [
          { name: "retention.ms", value: "3600000" },
          { name: "retention.bytes", value: "1048576" },
          { name: "min.insync.replicas", value: "1" },
          { name: "cleanup.policy", value: "delete" },
        ]),
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    const [t] = answer.topics;
    expect([t.errorCode, t.errorMessage, t.numPartitions, t.replicationFactor]).toEqual([0, null, 2, 1]);
    expect(broker.describeTopic("kept").config).toEqual({ retentionMs: 3_600_000, retentionBytes: 1_048_576 });
    expect((t.configs ?? []).filter((c) => c.name.startsWith("retention")).map((c) => [c.name, c.value, c.readOnly, c.configSource])).toEqual([
      ["retention.ms", "3600000", false, 1],
      ["retention.bytes", "1048576", false, 1],
    ]);
  });

  test("an unknown or read-only config, a bad value or a min ISR above the factor is INVALID_CONFIG naming it; nothing is created", async () => {
    const { client, broker } = await setup();
    const answer = await client.call("CreateTopics", 4, {
      topics: [
        topic("a", [{ name: "cleanup.policy", value: "compact" }, { name: "flush.ms", value: "1" }]),
        topic("b", [{ name: "retention.ms", value: "-5" }]),
        topic("c", [{ name: "min.insync.replicas", value: "2" }]),
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(answer.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      ["a", KAFKA_ERROR.INVALID_CONFIG, "configs cleanup.policy, flush.ms cannot be set for a topic (only retention.ms, retention.bytes and min.insync.replicas can)"],
      ["b", KAFKA_ERROR.INVALID_CONFIG, 'retention.ms must be -1 (no limit) or an integer ≥ 0, got "-5"'],
      ["c", KAFKA_ERROR.INVALID_CONFIG, 'min.insync.replicas must be an integer from 1 to the replication factor 1, got "2"'],
    ]);
    expect(broker.listTopics()).toEqual([]);
  });

  test("validate_only checks the name, existence and configs, and creates nothing", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("taken", 1);
    const answer = await client.call("CreateTopics", 5, {
      topics: [topic("fresh", [{ name: "retention.ms", value: "1000" }]), topic("taken"), topic("bad/name"), topic("odd", [{ name: "x", value: "1" }])],
      timeoutMs: 5000,
      validateOnly: true,
    });
    expect(answer.topics.map((t) => [t.name, t.errorCode, t.numPartitions])).toEqual([
      ["fresh", KAFKA_ERROR.NONE, 2],
      ["taken", KAFKA_ERROR.TOPIC_ALREADY_EXISTS, -1],
      ["bad/name", KAFKA_ERROR.INVALID_TOPIC_EXCEPTION, -1],
      ["odd", KAFKA_ERROR.INVALID_CONFIG, -1],
    ]);
    expect(broker.listTopics()).toEqual(["taken"]);
  });
});
