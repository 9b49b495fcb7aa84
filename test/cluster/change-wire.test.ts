import { describe, expect, test } from "bun:test";
import { parseMetadataChange } from "../../src/cluster/change-wire.ts";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const create: MetadataChange = {
  type: "create-topic",
  topic: "demo",
  topicId: "id-1",
  partitions: [
    { partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 },
    { partition: 1, replicas: [2], leader: 2, leaderEpoch: 0 },
  ],
  createdAt: 5,
};

function code(value: unknown): string | undefined {
  try {
    parseMetadataChange(value);
    return undefined;
  } catch (error) {
    return error instanceof StreamNestError ? error.code : String(error);
  }
}

describe("parseMetadataChange", () => {
  test("every well-formed change passes unchanged", () => {
    const changes: MetadataChange[] = [
      create,
      { type: "delete-topic", topic: "demo" },
      { type: "register-schema", topic: "demo", schema: { type: "object" }, registeredAt: 9 },
      { type: "set-brokers", brokers: [{ id: 1, address: "localhost:1" }] },
      { ...create, config: { retentionMs: 60_000 } },
      { type: "set-topic-config", topic: "demo", topicId: "id-1", config: { retentionMs: 1, retentionBytes: 0 } },
      { type: "set-topic-config", topic: "demo", topicId: "id-1", config: {} },
    ];
    for (const change of changes) expect(parseMetadataChange(JSON.parse(JSON.stringify(change)))).toEqual(change);
  });

  test("malformed changes are refused before they reach a store", () => {
    expect(code(null)).toBe("INVALID_REQUEST");
    expect(code({ type: "drop-everything" })).toBe("INVALID_REQUEST");
    expect(code({ ...create, topic: "../etc" })).toBe("INVALID_TOPIC_NAME");
    expect(code({ ...create, topicId: "" })).toBe("INVALID_REQUEST");
    expect(code({ ...create, partitions: [] })).toBe("INVALID_REQUEST");
    expect(code({ ...create, partitions: [{ partition: 1, replicas: [1], leader: 1, leaderEpoch: 0 }] })).toBe("INVALID_REQUEST");
    expect(code({ ...create, partitions: [{ partition: 0, replicas: [1], leader: 2, leaderEpoch: 0 }] })).toBe("INVALID_REQUEST");
    expect(code({ ...create, createdAt: "now" })).toBe("INVALID_REQUEST");
    expect(code({ type: "register-schema", topic: "demo", schema: [1], registeredAt: 0 })).toBe("INVALID_REQUEST");
    expect(code({ type: "set-brokers", brokers: [{ id: -1, address: "x:1" }] })).toBe("INVALID_REQUEST");
    expect(code({ ...create, config: { retentionMs: -5 } })).toBe("INVALID_REQUEST");
    expect(code({ ...create, config: { cleanupPolicy: "compact" } })).toBe("INVALID_REQUEST");
    expect(code({ type: "set-topic-config", topic: "demo", config: {} })).toBe("INVALID_REQUEST");
    expect(code({ type: "set-topic-config", topic: "demo", topicId: "id-1", config: null })).toBe("INVALID_REQUEST");
    expect(code({ type: "set-topic-config", topic: "demo", topicId: "id-1", config: { retentionBytes: 1.5 } })).toBe("INVALID_REQUEST");
  });
});

describe("security changes on the wire", () => {
  test("a security change is checked field by field, as the security state would", () => {
    expect(parseMetadataChange({ type: "security", change: { type: "revoke-token", id: "0123456789abcdef" } })).toEqual({
      type: "security",
      change: { type: "revoke-token", id: "0123456789abcdef" },
    });
    expect(() => parseMetadataChange({ type: "security", change: { type: "revoke-token", id: "x" } })).toThrow(
      new StreamNestError("INVALID_REQUEST", "token id must be 16 lowercase hex digits"),
    );
    expect(() => parseMetadataChange({ type: "security", change: { type: "grant-everything" } })).toThrow(StreamNestError);
  });
});

describe("parseMetadataChange: create-partitions", () => {
  const added = [
    { partition: 2, replicas: [1, 2], leader: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 0 },
    { partition: 3, replicas: [2, 1], leader: 2, leaderEpoch: 0, isr: [2, 1], partitionEpoch: 0 },
  ];
  const grow: MetadataChange = { type: "create-partitions", topic: "demo", topicId: "id-1", partitions: added };

  test("a well-formed one passes unchanged, numbered on from its first partition", () => {
    expect(parseMetadataChange(JSON.parse(JSON.stringify(grow)))).toEqual(grow);
  });

  test("malformed ones are refused", () => {
    expect(code({ ...grow, topicId: "" })).toBe("INVALID_REQUEST");
    expect(code({ ...grow, topic: "a/b" })).toBe("INVALID_TOPIC_NAME");
    expect(code({ ...grow, partitions: [] })).toBe("INVALID_REQUEST");
    expect(code({ ...grow, partitions: "all" })).toBe("INVALID_REQUEST");
    // A gap, a first partition that is not a number, a leader outside the replicas.
    expect(code({ ...grow, partitions: [added[0], { partition: 4, replicas: [1], leader: 1, leaderEpoch: 0 }] })).toBe("INVALID_REQUEST");
    expect(code({ ...grow, partitions: [{ partition: "2", replicas: [1], leader: 1, leaderEpoch: 0 }] })).toBe("INVALID_REQUEST");
    expect(code({ ...grow, partitions: [{ partition: 2, replicas: [1], leader: 3, leaderEpoch: 0 }] })).toBe("INVALID_REQUEST");
  });
});
