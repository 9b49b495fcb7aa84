import { afterEach, describe, expect, test } from "bun:test";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/**
 * JoinGroup's checks before a member joins, over the wire: what Kafka's coordinator
 * refuses is refused with its error, no member is created, and a proper join works.
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function joinBody(groupId: string, over: { sessionTimeoutMs?: number; protocolType?: string; protocols?: { name: string; metadata: Uint8Array }[] } = {}) {
  return {
    groupId,
    sessionTimeoutMs: over.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: "",
    groupInstanceId: null,
    protocolType: over.protocolType ?? "consumer",
    protocols: over.protocols ?? [{ name: "range", metadata: new Uint8Array([1, 2, 3]) }],
  };
}

describe("JoinGroup", () => {
  test("a session timeout outside 1000..1800000 ms is INVALID_SESSION_TIMEOUT and adds no member", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    for (const sessionTimeoutMs of [0, -1, 999, 1_800_001, 2_147_483_647]) {
      const answer = await client.call("JoinGroup", 5, joinBody("g", { sessionTimeoutMs }));
      expect([sessionTimeoutMs, answer.errorCode, answer.memberId, answer.generationId]).toEqual([sessionTimeoutMs, KAFKA_ERROR.INVALID_SESSION_TIMEOUT, "", -1]);
    }
    expect((await client.call("ListGroups", 0, {})).groups).toEqual([]);
    const ok = await client.call("JoinGroup", 5, joinBody("g", { sessionTimeoutMs: 1000 }));
    expect([ok.errorCode, ok.generationId, ok.members.length]).toEqual([KAFKA_ERROR.NONE, 1, 1]);
    client.end();
  });

  test("a join with no protocol type or no protocol is INCONSISTENT_GROUP_PROTOCOL", async () => {
    running = await startInProcess();
    const client = await RawClient.connect(running.kafka.port);
    const noProtocols = await client.call("JoinGroup", 5, joinBody("g", { protocols: [] }));
    const noType = await client.call("JoinGroup", 5, joinBody("g", { protocolType: "" }));
    expect([noProtocols.errorCode, noType.errorCode]).toEqual([KAFKA_ERROR.INCONSISTENT_GROUP_PROTOCOL, KAFKA_ERROR.INCONSISTENT_GROUP_PROTOCOL]);
    expect((await client.call("ListGroups", 0, {})).groups).toEqual([]);
    client.end();
  });

  test("a group with members that joined over HTTP is INCONSISTENT_GROUP_PROTOCOL to a Kafka consumer, which would read their partitions twice", async () => {
    running = await startInProcess();
    await running.broker.createTopic("t", 1);
    const http = await running.broker.groups.join("shared", { topics: ["t"] });
    const client = await RawClient.connect(running.kafka.port);
    const refused = await client.call("JoinGroup", 5, joinBody("shared"));
    expect([refused.errorCode, refused.generationId]).toEqual([KAFKA_ERROR.INCONSISTENT_GROUP_PROTOCOL, -1]);
    // The HTTP member leaves: the Kafka consumer joins.
    await running.broker.groups.leave("shared", http.memberId);
    const ok = await client.call("JoinGroup", 5, joinBody("shared"));
    expect([ok.errorCode, ok.generationId]).toEqual([KAFKA_ERROR.NONE, 1]);
    client.end();
  });
});
