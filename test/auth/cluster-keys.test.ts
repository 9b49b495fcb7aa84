import { describe, expect, test } from "bun:test";
import { hkdfSync } from "node:crypto";
import { clusterIdProblem, deriveClusterKeys } from "../../src/auth/cluster-keys.ts";

const SECRET = "correct horse battery staple";

describe("cluster keys", () => {
  test("HKDF-SHA256 of the secret, salted with the cluster id, one key per purpose", () => {
    const keys = deriveClusterKeys(SECRET, "cluster-A");
    const expected = (purpose: string) =>
      Buffer.from(hkdfSync("sha256", Buffer.from(SECRET), Buffer.from("cluster-A"), `streamnest/v1/${purpose}`, 32));
    expect(keys.brokerRequests.equals(expected("broker-request-hmac"))).toBe(true);
    expect(keys.scramFakeCredentials.equals(expected("scram-fake-credentials"))).toBe(true);
    expect(keys.brokerRequests.equals(keys.scramFakeCredentials)).toBe(false);
    expect(keys.brokerRequests.length).toBe(32);
  });

  test("same secret, same cluster: same keys on every broker; another cluster id: other keys", () => {
    expect(deriveClusterKeys(SECRET, "c1").brokerRequests.equals(deriveClusterKeys(Buffer.from(SECRET), "c1").brokerRequests)).toBe(true);
    expect(deriveClusterKeys(SECRET, "c1").brokerRequests.equals(deriveClusterKeys(SECRET, "c2").brokerRequests)).toBe(false);
  });

  test("short secrets and bad cluster ids are refused", () => {
    expect(() => deriveClusterKeys("short", "c1")).toThrow("the cluster secret must be at least 16 bytes");
    expect(() => deriveClusterKeys(SECRET, "bad id")).toThrow("cluster id must be 1-64 of ASCII letters, digits, '.', '_' and '-'");
    expect(clusterIdProblem("MkU3OEVBNTcwNTJENDM2Qg")).toBeUndefined();
    expect(clusterIdProblem("")).toBe("cluster id must be 1-64 of ASCII letters, digits, '.', '_' and '-'");
    expect(clusterIdProblem("x".repeat(65))).toBe("cluster id must be 1-64 of ASCII letters, digits, '.', '_' and '-'");
  });
});
