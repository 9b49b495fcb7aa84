import { describe, expect, test } from "bun:test";
import { suggestedHttpWorkers } from "../../src/config/http.ts";
import { configFromFlags, kafkaFromFlags, exposureWarning, isLoopbackHost, LAUNCHER_DEFAULT_HOST } from "../../src/commands/broker.ts";

describe("broker exposure", () => {
  test("loopback addresses reach this machine only; anything else is exposed", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "[::]", "10.0.0.5", "example.com", "128.0.0.1", "127.0.0.1.example.com"]) expect(isLoopbackHost(host)).toBe(false);
  });

  test("one warning for a broker that others can reach while clients are unauthenticated; none on loopback", () => {
    expect(exposureWarning("127.0.0.1", 8080)).toBeUndefined();
    expect(exposureWarning("0.0.0.0", 8080)).toBe(
      "listening on 0.0.0.0:8080 beyond this machine, and clients are not authenticated (--auth=none): anyone who reaches this port can read, write and delete every topic; bind --host=127.0.0.1 or put the broker behind a firewall",
    );
  });

  test("the launcher's default host is loopback", () => {
    expect(isLoopbackHost(LAUNCHER_DEFAULT_HOST)).toBe(true);
  });
});

describe("--auth=token and the Kafka listener", () => {
  test("a Kafka listener starts beside token authentication (it takes SASL); off is still off", () => {
    const flags = { id: "1", port: "0", "data-dir": "data/x", auth: "token" };
    expect(configFromFlags({ ...flags, "kafka-port": "auto" }, {}).kafka?.port).toBe(0);
    expect(configFromFlags(flags, { STREAMNEST_KAFKA_PORT: "9092" }).kafka?.port).toBe(9092);
    expect(configFromFlags({ ...flags, "kafka-port": "off" }, {}).kafka).toBeUndefined();
    expect(configFromFlags({ ...flags, auth: "none", "kafka-port": "auto" }, {}).kafka).toBeDefined();
  });
});

describe("--workers and a secured broker", () => {
  test("--auth=token or TLS takes the same threads as an open broker: the cores by default, else the count given", () => {
    const flags = { id: "1", port: "0", "data-dir": "data/x", "kafka-port": "off" };
    const tls = { "tls-cert": "c.pem", "tls-key": "k.pem" };
    for (const secured of [{ auth: "token" }, tls, { auth: "token", ...tls }]) {
      expect(configFromFlags({ ...flags, ...secured }, {}).config.workers).toBe(suggestedHttpWorkers());
      expect(configFromFlags({ ...flags, ...secured, workers: "2" }, {}).config.workers).toBe(2);
      expect(configFromFlags({ ...flags, ...secured }, { STREAMNEST_WORKERS: "3" }).config.workers).toBe(3);
      expect(configFromFlags({ ...flags, ...secured, workers: "1" }, {}).config.workers).toBe(1);
    }
  });
});


/** The Kafka listeners a broker gets from its flags (and their environment variables). */
describe("kafkaFromFlags", () => {
  const base = { maxRequestBytes: 100 * 1024 * 1024, maxConnections: 10_000, autoCreateTopics: true, defaultPartitions: 1, reauthMs: 0, groupInitialRebalanceDelayMs: 300 };

  test("none by default; one from --kafka-port, advertising the host it listens on (localhost for every interface) unless told", () => {
    expect(kafkaFromFlags({}, "0.0.0.0", {})).toBeUndefined();
    expect(kafkaFromFlags({ "kafka-port": "9092" }, "0.0.0.0", {})).toEqual({ host: "0.0.0.0", port: 9092, advertise: "localhost:9092", ...base });
    expect(kafkaFromFlags({ "kafka-port": "auto", "kafka-advertise": "kafka.example:19092" }, "127.0.0.1", {})).toEqual({
      host: "127.0.0.1",
      port: 0,
      advertise: "kafka.example:19092",
      ...base,
    });
    expect(kafkaFromFlags({ "kafka-port": "9092" }, "127.0.0.1", {})?.advertise).toBe("127.0.0.1:9092");
    expect(kafkaFromFlags({ "kafka-port": "9092" }, "broker-1.internal", {})?.advertise).toBe("broker-1.internal:9092");
    expect(kafkaFromFlags({ "kafka-port": "9092" }, "::1", {})?.advertise).toBe("[::1]:9092");
    expect(kafkaFromFlags({ "kafka-port": "9092" }, "::", {})?.advertise).toBe("localhost:9092");
    // auto: the port is filled in once bound (kafka-adapter.ts).
    expect(kafkaFromFlags({ "kafka-port": "auto" }, "127.0.0.1", {})?.advertise).toBe("127.0.0.1:0");
  });

  test("--group-initial-rebalance-delay-ms (Kafka's group.initial.rebalance.delay.ms) by flag or environment, within 0..300000", () => {
    expect(kafkaFromFlags({ "kafka-port": "9092", "group-initial-rebalance-delay-ms": "3000" }, "h", {})?.groupInitialRebalanceDelayMs).toBe(3000);
    expect(kafkaFromFlags({ "kafka-port": "9092" }, "h", { STREAMNEST_GROUP_INITIAL_REBALANCE_DELAY_MS: "0" })?.groupInitialRebalanceDelayMs).toBe(0);
    expect(() => kafkaFromFlags({ "kafka-port": "9092", "group-initial-rebalance-delay-ms": "-1" }, "h", {})).toThrow();
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
    // They replace the image's STREAMNEST_KAFKA_PORT; a listener left out of --kafka-advertise advertises the host it listens on.
    expect(kafkaFromFlags({ "kafka-listeners": "A://:1001" }, "h", { STREAMNEST_KAFKA_PORT: "9092" })).toEqual({
      host: "h",
      port: 1001,
      advertise: "h:1001",
      listenerName: "A",
      moreListeners: [],
      ...base,
    });
    expect(kafkaFromFlags({ "kafka-listeners": "A://:1001,B://:1002", "kafka-advertise": "B://b.example:1" }, "h", {})?.advertise).toBe("h:1001");
    expect(kafkaFromFlags({ "kafka-listeners": "A://10.0.0.5:1001,B://0.0.0.0:1002" }, "h", {})?.moreListeners).toEqual([
      { name: "B", host: "0.0.0.0", port: 1002, advertise: "localhost:1002" },
    ]);
  });

  test("--kafka-port and --kafka-listeners together, or --kafka-advertise alone, are refused", () => {
    expect(() => kafkaFromFlags({ "kafka-port": "9092", "kafka-listeners": "A://:1" }, "h", {})).toThrow(
      "give either --kafka-port (one listener) or --kafka-listeners (named listeners), not both",
    );
    expect(() => kafkaFromFlags({ "kafka-advertise": "x:1" }, "h", {})).toThrow("--kafka-advertise needs a Kafka listener (--kafka-port or --kafka-listeners)");
  });
});

describe("--allowed-hosts", () => {
  const flags = { id: "1", "data-dir": "/tmp/streamnest-allowed-hosts", "cluster-secret": "0123456789abcdef0123" };
  test("names separated by commas, lower-cased; * allows any", () => {
    expect(configFromFlags({ ...flags, "allowed-hosts": "DevBox, broker.lan" }, {}).config.allowedHosts).toEqual(["devbox", "broker.lan"]);
    expect(configFromFlags({ ...flags, "allowed-hosts": "*" }, {}).config.allowedHosts).toEqual(["*"]);
    expect(configFromFlags(flags, {}).config.allowedHosts).toBeUndefined();
  });

  test("an entry with a port, a path or nothing in it is refused, naming it", () => {
    for (const [given, bad] of [
      ["devbox:8080", "devbox:8080"],
      ["a,,b", ""],
      ["http://devbox", "http://devbox"],
    ])
      expect(() => configFromFlags({ ...flags, "allowed-hosts": given }, {})).toThrow(
        `--allowed-hosts takes host names separated by commas (or *), without ports; ${JSON.stringify(bad)} is not one`,
      );
  });
});

test("an empty --host is refused rather than binding every interface", () => {
  expect(() => configFromFlags({ id: "1", "data-dir": "/tmp/streamnest-empty-host", host: "" }, {})).toThrow(
    "--host needs an address to listen on (0.0.0.0 for every interface, 127.0.0.1 for this machine only)",
  );
});
