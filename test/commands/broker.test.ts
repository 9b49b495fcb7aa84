import { describe, expect, test } from "bun:test";
import { kafkaFromFlags } from "../../src/commands/broker.ts";

/** The Kafka listeners a broker gets from its flags (and their environment variables). */
describe("kafkaFromFlags", () => {
  const base = { maxRequestBytes: 100 * 1024 * 1024, maxConnections: 10_000, autoCreateTopics: true, defaultPartitions: 1 };

  test("none by default; one from --kafka-port, advertising localhost:<port> unless told", () => {
    expect(kafkaFromFlags({}, "0.0.0.0", {})).toBeUndefined();
    expect(kafkaFromFlags({ "kafka-port": "9092" }, "0.0.0.0", {})).toEqual({ host: "0.0.0.0", port: 9092, advertise: "localhost:9092", ...base });
    expect(kafkaFromFlags({ "kafka-port": "auto", "kafka-advertise": "kafka.example:19092" }, "127.0.0.1", {})).toEqual({
      host: "127.0.0.1",
      port: 0,
      advertise: "kafka.example:19092",
      ...base,
    });
  });

  test("named listeners from --kafka-listeners, each advertising its own address (by environment too)", () => {
    const start = kafkaFromFlags({}, "0.0.0.0", {
      STREAMNEST_KAFKA_LISTENERS: "INTERNAL://:9092,EXTERNAL://0.0.0.0:19092",
      STREAMNEST_KAFKA_ADVERTISE: "INTERNAL://broker-1:9092,EXTERNAL://localhost:9092",
    });
    expect(start).toEqual({
      host: "0.0.0.0",
      port: 9092,
      advertise: "broker-1:9092",
      listenerName: "INTERNAL",
      moreListeners: [{ name: "EXTERNAL", host: "0.0.0.0", port: 19092, advertise: "localhost:9092" }],
      ...base,
    });
    // They replace the image's STREAMNEST_KAFKA_PORT; a listener left out of --kafka-advertise advertises localhost:<its port>.
    expect(kafkaFromFlags({ "kafka-listeners": "A://:1001" }, "h", { STREAMNEST_KAFKA_PORT: "9092" })).toEqual({
      host: "h",
      port: 1001,
      advertise: "localhost:1001",
      listenerName: "A",
      moreListeners: [],
      ...base,
    });
    expect(kafkaFromFlags({ "kafka-listeners": "A://:1001,B://:1002", "kafka-advertise": "B://b.example:1" }, "h", {})?.advertise).toBe("localhost:1001");
  });

  test("--kafka-port and --kafka-listeners together, or --kafka-advertise alone, are refused", () => {
    expect(() => kafkaFromFlags({ "kafka-port": "9092", "kafka-listeners": "A://:1" }, "h", {})).toThrow(
      "give either --kafka-port (one listener) or --kafka-listeners (named listeners), not both",
    );
    expect(() => kafkaFromFlags({ "kafka-advertise": "x:1" }, "h", {})).toThrow("--kafka-advertise needs a Kafka listener (--kafka-port or --kafka-listeners)");
  });
});
