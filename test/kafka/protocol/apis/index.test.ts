import { describe, expect, test } from "bun:test";
import { APIS, apiByKey, supportedApiVersions } from "../../../../src/kafka/protocol/apis/index.ts";

describe("the API registry", () => {
  test("offers exactly these keys and ranges in ApiVersions, ascending by key", () => {
    expect(supportedApiVersions()).toEqual([
      { apiKey: 0, minVersion: 3, maxVersion: 9 }, // Produce
      { apiKey: 1, minVersion: 4, maxVersion: 12 }, // Fetch
      { apiKey: 2, minVersion: 0, maxVersion: 7 }, // ListOffsets
      { apiKey: 3, minVersion: 0, maxVersion: 12 }, // Metadata
      { apiKey: 8, minVersion: 0, maxVersion: 8 }, // OffsetCommit
      { apiKey: 9, minVersion: 0, maxVersion: 8 }, // OffsetFetch
      { apiKey: 10, minVersion: 0, maxVersion: 4 }, // FindCoordinator
      { apiKey: 11, minVersion: 0, maxVersion: 9 }, // JoinGroup
      { apiKey: 12, minVersion: 0, maxVersion: 4 }, // Heartbeat
      { apiKey: 13, minVersion: 0, maxVersion: 5 }, // LeaveGroup
      { apiKey: 14, minVersion: 0, maxVersion: 5 }, // SyncGroup
      { apiKey: 15, minVersion: 0, maxVersion: 5 }, // DescribeGroups
      { apiKey: 16, minVersion: 0, maxVersion: 4 }, // ListGroups
      { apiKey: 17, minVersion: 0, maxVersion: 1 }, // SaslHandshake
      { apiKey: 18, minVersion: 0, maxVersion: 3 }, // ApiVersions
      { apiKey: 19, minVersion: 0, maxVersion: 7 }, // CreateTopics
      { apiKey: 20, minVersion: 0, maxVersion: 5 }, // DeleteTopics
      { apiKey: 22, minVersion: 0, maxVersion: 4 }, // InitProducerId
      { apiKey: 32, minVersion: 0, maxVersion: 4 }, // DescribeConfigs
      { apiKey: 33, minVersion: 0, maxVersion: 2 }, // AlterConfigs
      { apiKey: 36, minVersion: 0, maxVersion: 2 }, // SaslAuthenticate
      { apiKey: 37, minVersion: 0, maxVersion: 3 }, // CreatePartitions
      { apiKey: 44, minVersion: 0, maxVersion: 1 }, // IncrementalAlterConfigs
    ]);
  });

  test("finds an API by key and nothing for keys not offered (transactions: 24, 25, 26, 28)", () => {
    expect(apiByKey(3)).toBe(APIS.Metadata);
    for (const key of [24, 25, 26, 28, 57, -1]) expect(apiByKey(key)).toBeUndefined();
  });

  test("names are unique and match the registry keys", () => {
    for (const [name, api] of Object.entries(APIS)) expect(api.name as string).toBe(name);
    expect(new Set(Object.values(APIS).map((a) => a.key)).size).toBe(Object.keys(APIS).length);
  });
});
