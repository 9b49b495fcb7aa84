import { describe, expect, test } from "bun:test";
import { parseKafkaAdvertise, parseKafkaListeners } from "../../src/config/kafka-listeners.ts";

describe("Kafka listeners (KIP-103 names)", () => {
  test("--kafka-listeners: NAME://host:port entries, names upper-cased, an empty host or port 0 allowed", () => {
    expect(parseKafkaListeners("internal://0.0.0.0:9092, EXTERNAL://:19092,v6://[::1]:0")).toEqual([
      { name: "INTERNAL", host: "0.0.0.0", port: 9092 },
      { name: "EXTERNAL", host: "", port: 19092 },
      { name: "V6", host: "::1", port: 0 },
    ]);
  });

  test("--kafka-listeners refuses what it cannot use, naming it", () => {
    expect(() => parseKafkaListeners("")).toThrow("--kafka-listeners needs at least one NAME://host:port");
    expect(() => parseKafkaListeners("0.0.0.0:9092")).toThrow('--kafka-listeners entries must be NAME://host:port (NAME of letters, digits and _), not "0.0.0.0:9092"');
    expect(() => parseKafkaListeners("A-B://:1")).toThrow("--kafka-listeners entries must be NAME://host:port");
    expect(() => parseKafkaListeners("A://:1,a://:2")).toThrow("--kafka-listeners names the listener A twice");
    expect(() => parseKafkaListeners("A://host:70000")).toThrow('--kafka-listeners: A must be NAME://host:port with a port from 0 to 65535, not "A://host:70000"');
  });

  test("--kafka-advertise: one host:port for the first listener, or one per listener name", () => {
    expect(parseKafkaAdvertise("kafka.example:9092", ["PLAINTEXT"])).toEqual(new Map([["PLAINTEXT", "kafka.example:9092"]]));
    expect(parseKafkaAdvertise("INTERNAL://broker-1:9092,external://localhost:9092", ["INTERNAL", "EXTERNAL"])).toEqual(
      new Map([
        ["INTERNAL", "broker-1:9092"],
        ["EXTERNAL", "localhost:9092"],
      ]),
    );
    expect(() => parseKafkaAdvertise("OTHER://x:1", ["INTERNAL"])).toThrow(
      "--kafka-advertise names the listener OTHER, which --kafka-listeners does not have (it has INTERNAL)",
    );
    expect(() => parseKafkaAdvertise("INTERNAL://nohost", ["INTERNAL"])).toThrow("--kafka-advertise (INTERNAL) entries must be host:port");
  });
});
