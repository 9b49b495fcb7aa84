import { describe, expect, test } from "bun:test";
import { brokerConfig } from "../../src/broker/config.ts";
import { defaultMaxOpenPartitions } from "../../src/config/core.ts";

describe("brokerConfig", () => {
  test("fills every field from the declared defaults", () => {
    expect(brokerConfig({ id: 4, dataDir: "/d" })).toEqual({
      id: 4,
      dataDir: "/d",
      host: "0.0.0.0",
      port: 8080,
      advertise: "localhost:8080",
      peers: [],
      clusterId: "streamnest",
      maxPartitions: 10_000,
      maxMessageBytes: 1024 * 1024,
      maxBodyBytes: 32 * 1024 * 1024,
      log: {},
      retentionCheckMs: 30_000,
      maxOpenPartitions: defaultMaxOpenPartitions(),
      defaultReplicationFactor: 3,
      replicaLagTimeMs: 10_000,
      uncleanLeaderElection: false,
      leaderWaitMs: 5_000,
      replicaFetchTransport: "websocket",
    });
  });

  test("the advertised address follows the port unless given; given fields win", () => {
    expect(brokerConfig({ id: 1, dataDir: "/d", port: 9001 }).advertise).toBe("localhost:9001");
    const config = brokerConfig({ id: 1, dataDir: "/d", port: 9001, advertise: "b1:80", maxOpenPartitions: 3, log: { fsync: "always" } });
    expect([config.advertise, config.maxOpenPartitions, config.log]).toEqual(["b1:80", 3, { fsync: "always" }]);
  });

  test("each config gets its own peer list", () => {
    const a = brokerConfig({ id: 1, dataDir: "/d" });
    a.peers.push("x:1");
    expect(brokerConfig({ id: 1, dataDir: "/d" }).peers).toEqual([]);
  });
});
