import { describe, expect, test } from "bun:test";
import { CLUSTER, CLUSTER_LIMITS, LAUNCHER, LAUNCHER_LIMITS } from "../../src/config/cluster.ts";
import { readSection } from "../../src/config/read.ts";
import { envName } from "../../src/config/setting.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof StreamNestError) return error.message;
    throw error;
  }
  return "no error";
}

describe("CLUSTER", () => {
  test("defaults: no peers, no advertised address, no secret", () => {
    expect(readSection(CLUSTER, {}, {})).toEqual({ peers: [], advertise: undefined, clusterSecret: undefined, clusterSecretFile: undefined, clusterId: "streamnest" });
  });

  test("each is a flag and a STREAMNEST_ variable; peers are a trimmed host:port list", () => {
    expect([envName(CLUSTER.peers), envName(CLUSTER.advertise), envName(CLUSTER.clusterSecret)]).toEqual([
      "STREAMNEST_PEERS",
      "STREAMNEST_ADVERTISE",
      "STREAMNEST_CLUSTER_SECRET",
    ]);
    expect(
      readSection(CLUSTER, { "cluster-secret": "flag" }, { STREAMNEST_PEERS: " a:1, [::1]:2 ,", STREAMNEST_ADVERTISE: "me:80", STREAMNEST_CLUSTER_SECRET: "env" }),
    ).toEqual({ peers: ["a:1", "[::1]:2"], advertise: "me:80", clusterSecret: "flag", clusterSecretFile: undefined, clusterId: "streamnest" });
    expect(messageOf(() => readSection(CLUSTER, { peers: "a:1,nope" }, {}))).toBe('--peers entries must be host:port, not "nope"');
    expect(messageOf(() => readSection(CLUSTER, {}, { STREAMNEST_ADVERTISE: "host" }))).toBe('STREAMNEST_ADVERTISE entries must be host:port, not "host"');
  });

  test("a default peer list is a fresh array each time", () => {
    const first = readSection(CLUSTER, {}, {});
    first.peers.push("x:1");
    expect(readSection(CLUSTER, {}, {}).peers).toEqual([]);
  });
});

describe("LAUNCHER", () => {
  test("takes flags only: a launcher's brokers inherit its environment", () => {
    expect(envName(LAUNCHER.count)).toBeUndefined();
    expect(envName(LAUNCHER.basePort)).toBeUndefined();
    expect(readSection(LAUNCHER, {}, { STREAMNEST_COUNT: "3", STREAMNEST_BASE_PORT: "9000" })).toEqual({ count: undefined, basePort: 8080 });
    expect(readSection(LAUNCHER, { count: "3", "base-port": "9000" }, {})).toEqual({ count: 3, basePort: 9000 });
  });

  test("bounds: 1..1000 brokers, ports 1..65535", () => {
    expect(messageOf(() => readSection(LAUNCHER, { count: "0" }, {}))).toBe('--count must be a whole number from 1 to 1000, not "0"');
    expect(messageOf(() => readSection(LAUNCHER, { count: "1001" }, {}))).toBe('--count must be a whole number from 1 to 1000, not "1001"');
    expect(messageOf(() => readSection(LAUNCHER, { "base-port": "65536" }, {}))).toBe('--base-port must be a whole number from 1 to 65535, not "65536"');
    expect(readSection(LAUNCHER, { count: "1000", "base-port": "1" }, {})).toEqual({ count: 1000, basePort: 1 });
  });
});

describe("fixed limits", () => {
  test("peer failure detection: a peer is counted down only after several missed heartbeats", () => {
    expect(CLUSTER_LIMITS.heartbeatIntervalMs.value).toBe(500);
    expect(CLUSTER_LIMITS.deadAfterMs.value).toBe(2_000);
    expect(CLUSTER_LIMITS.deadAfterMs.value / CLUSTER_LIMITS.heartbeatIntervalMs.value).toBeGreaterThanOrEqual(3);
    expect(CLUSTER_LIMITS.forwardedCallOverheadBytes).toEqual({ value: 1024, unit: "bytes", help: "room for the wrapping of a forwarded produce call" });
  });

  test("launcher backoff grows from the first wait to the cap", () => {
    expect(LAUNCHER_LIMITS.firstBackoffMs.value).toBe(500);
    expect(LAUNCHER_LIMITS.maxBackoffMs.value).toBe(8_000);
    expect(LAUNCHER_LIMITS.firstBackoffMs.value).toBeLessThan(LAUNCHER_LIMITS.maxBackoffMs.value);
    for (const l of [...Object.values(CLUSTER_LIMITS), ...Object.values(LAUNCHER_LIMITS)]) {
      expect(Number.isSafeInteger(l.value) && l.value > 0).toBe(true);
      expect(l.help.length).toBeGreaterThan(0);
    }
  });
});
