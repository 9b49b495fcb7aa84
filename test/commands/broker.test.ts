import { describe, expect, test } from "bun:test";
import { configFromFlags, exposureWarning, isLoopbackHost, LAUNCHER_DEFAULT_HOST } from "../../src/commands/broker.ts";

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
