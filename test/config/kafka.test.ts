import { describe, expect, test } from "bun:test";
import { KAFKA, KAFKA_LAUNCHER, parseKafkaPort } from "../../src/config/kafka.ts";
import { readSection } from "../../src/config/read.ts";

describe("Kafka settings", () => {
  test("--kafka-port: a port, auto, or off (0, off, empty)", () => {
    expect(parseKafkaPort(undefined)).toBeUndefined();
    expect(parseKafkaPort("off")).toBeUndefined();
    expect(parseKafkaPort("0")).toBeUndefined();
    expect(parseKafkaPort("")).toBeUndefined();
    expect(parseKafkaPort("auto")).toBe("auto");
    expect(parseKafkaPort("9092")).toBe(9092);
    expect(() => parseKafkaPort("70000")).toThrow('--kafka-port must be a port from 1 to 65535, auto or off; got "70000"');
    expect(() => parseKafkaPort("x")).toThrow("--kafka-port must be");
  });

  test("defaults, and the flags over their environment variables", () => {
    expect(readSection(KAFKA, {}, {})).toEqual({
      port: undefined,
      listeners: undefined,
      advertise: undefined,
      maxRequestBytes: 100 * 1024 * 1024,
      maxConnections: 10_000,
      autoCreateTopics: "on",
      groupInitialRebalanceDelayMs: 300,
      defaultPartitions: 1,
      reauthMs: 0,
    });
    const given = readSection(
      KAFKA,
      { "kafka-advertise": "kafka.example:19092", "auto-create-topics": "off" },
      { STREAMNEST_KAFKA_MAX_REQUEST_BYTES: "1MiB", STREAMNEST_DEFAULT_PARTITIONS: "3", STREAMNEST_AUTO_CREATE_TOPICS: "on" },
    );
    expect([given.advertise, given.maxRequestBytes, given.defaultPartitions, given.autoCreateTopics]).toEqual(["kafka.example:19092", 1024 * 1024, 3, "off"]);
    expect(readSection(KAFKA_LAUNCHER, {}, {}).basePort).toBe(9092);
    expect(readSection(KAFKA, { "kafka-reauth-ms": "60000" }, {}).reauthMs).toBe(60_000);
    expect(() => readSection(KAFKA, { "kafka-reauth-ms": "-1" }, {})).toThrow("--kafka-reauth-ms");
  });
});
