import { describe, expect, test } from "bun:test";
import { clusterSecret, resolveClusterSecret } from "../../src/cluster/cluster-secret.ts";

describe("cluster secret", () => {
  test("the flag wins over the environment, empty counts as unset", () => {
    expect(resolveClusterSecret("flag", { STREAMNEST_CLUSTER_SECRET: "env" })).toBe("flag");
    expect(resolveClusterSecret(undefined, { STREAMNEST_CLUSTER_SECRET: "env" })).toBe("env");
    expect(resolveClusterSecret("", { STREAMNEST_CLUSTER_SECRET: "env" })).toBe("env");
    expect(resolveClusterSecret(undefined, { STREAMNEST_CLUSTER_SECRET: "" })).toBeUndefined();
    expect(resolveClusterSecret(undefined, {})).toBeUndefined();
  });

  test("the operator's STREAMNEST_CLUSTER_SECRET wins", () => {
    expect(clusterSecret({ STREAMNEST_CLUSTER_SECRET: "s3cret" })).toBe("s3cret");
  });

  test("otherwise 256 random bits, different every launch", () => {
    const a = clusterSecret({});
    const b = clusterSecret({ STREAMNEST_CLUSTER_SECRET: "" });
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });
});
