import { expect, test } from "bun:test";
import { CLUSTER_SECRET_ENV } from "../../src/cluster/cluster-secret.ts";
import { CLUSTER, LAUNCHER } from "../../src/config/cluster.ts";
import { CORE } from "../../src/config/core.ts";
import { envName, limit } from "../../src/config/setting.ts";

test("variables are STREAMNEST_ and the flag's name", () => {
  expect([CORE.id, CLUSTER.peers, CLUSTER.advertise, CLUSTER.clusterSecret, CORE.dataDir].map(envName)).toEqual([
    "STREAMNEST_ID",
    "STREAMNEST_PEERS",
    "STREAMNEST_ADVERTISE",
    "STREAMNEST_CLUSTER_SECRET",
    "STREAMNEST_DATA_DIR",
  ]);
  expect(envName(LAUNCHER.basePort)).toBeUndefined();
  // The launcher hands its brokers the secret under the same name.
  expect(envName(CLUSTER.clusterSecret)).toBe(CLUSTER_SECRET_ENV);
});

test("a fixed limit keeps its value, unit and reason together", () => {
  expect(limit(5, "five of them", "count")).toEqual({ value: 5, help: "five of them", unit: "count" });
  expect(limit([1, 2], "no unit")).toEqual({ value: [1, 2], help: "no unit" });
});
