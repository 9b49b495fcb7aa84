import { afterEach, describe, expect, test } from "bun:test";
import type { AclBinding } from "../../src/auth/acl.ts";
import { scramCredentialsForPassword } from "../../src/auth/scram-credential.ts";
import { encodeRecordBatch, KAFKA_ERROR } from "../../src/kafka/protocol/index.ts";
import { RawClient, startInProcess } from "./support/in-process.ts";

/**
 * Kafka's ACL checks per API, byte-exact: each refusal is the code Kafka's protocol defines
 * for it (TOPIC_ / GROUP_ / CLUSTER_AUTHORIZATION_FAILED, where the API puts it), nothing
 * is changed by a refused call, and a principal never learns a topic it cannot describe
 * exists (a missing topic and a hidden one are refused alike).
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const allow = (operation: AclBinding["operation"], resourceType: AclBinding["resourceType"], resourceName: string): AclBinding => ({
  principal: "User:ivy",
  permission: "ALLOW",
  operation,
  resourceType,
  patternType: "LITERAL",
  resourceName,
});

/** ivy may write "w" and read group "mine"; "hidden" exists and she has nothing on it. */
async function asIvy(...extra: AclBinding[]): Promise<RawClient> {
  running = await startInProcess({ autoCreateTopics: true }, { tokenAuth: true });
  const { broker } = running;
  await broker.changeSecurity({ type: "add-user", name: "ivy", credentials: scramCredentialsForPassword("ivy-secret") });
  for (const binding of [allow("WRITE", "TOPIC", "w"), allow("READ", "GROUP", "mine"), ...extra]) await broker.changeSecurity({ type: "add-acl", binding });
  for (const topic of ["w", "hidden"]) await broker.createTopic(topic, 1);
  const client = await RawClient.connect(running.kafka.port);
  await client.call("SaslHandshake", 1, { mechanism: "PLAIN" });
  const auth = await client.call("SaslAuthenticate", 2, { authBytes: new TextEncoder().encode("\u0000ivy\u0000ivy-secret") });
  expect(auth.errorCode).toBe(KAFKA_ERROR.NONE);
  return client;
}

const batch = () => encodeRecordBatch({ records: [{ value: new TextEncoder().encode("x"), timestamp: 1n }] });
const produce = (client: RawClient, topic: string) =>
  client.call("Produce", 7, { acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch() }] }] });

describe("topics", () => {
  test("Produce needs WRITE: refused on a hidden topic and a missing one alike, and nothing is written or created", async () => {
    const client = await asIvy();
    expect((await produce(client, "w")).responses[0].partitionResponses[0].errorCode).toBe(KAFKA_ERROR.NONE);
    for (const topic of ["hidden", "missing"])
      expect((await produce(client, topic)).responses[0].partitionResponses[0].errorCode).toBe(KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED);
    expect(running?.broker.listTopics(false)).toEqual(["hidden", "w"]);
    expect(running?.broker.describeTopic("hidden").partitions[0].endOffset).toBe(0);
  });

  test("ACL changes take effect on an open connection at its next request: WRITE removed refuses, a DENY refuses, both undone allow", async () => {
    const client = await asIvy();
    const code = async () => (await produce(client, "w")).responses[0].partitionResponses[0].errorCode;
    const broker = running?.broker;
    if (broker === undefined) throw new Error("no broker");
    expect(await code()).toBe(KAFKA_ERROR.NONE);
    await broker.changeSecurity({ type: "remove-acl", binding: allow("WRITE", "TOPIC", "w") });
    expect(await code()).toBe(KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED);
    await broker.changeSecurity({ type: "add-acl", binding: allow("WRITE", "TOPIC", "w") });
    expect(await code()).toBe(KAFKA_ERROR.NONE);
    const deny: AclBinding = { ...allow("WRITE", "TOPIC", "w"), permission: "DENY" };
    await broker.changeSecurity({ type: "add-acl", binding: deny });
    expect(await code()).toBe(KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED);
    await broker.changeSecurity({ type: "remove-acl", binding: deny });
    expect(await code()).toBe(KAFKA_ERROR.NONE);
    expect(broker.describeTopic("w").partitions[0].endOffset).toBe(3);
  });

  test("Metadata lists only what the principal may describe; a named hidden or missing topic is refused, and not created", async () => {
    const client = await asIvy();
    const all = await client.call("Metadata", 9, { topics: null, allowAutoTopicCreation: false });
    expect(all.topics.map((t) => t.name)).toEqual(["w"]);
    const named = await client.call("Metadata", 9, { topics: [{ name: "hidden" }, { name: "missing" }], allowAutoTopicCreation: true });
    expect(named.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ["hidden", KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED],
      ["missing", KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED],
    ]);
    expect(running?.broker.listTopics(false)).toEqual(["hidden", "w"]);
  });

  test("auto-creation needs CREATE as well as DESCRIBE", async () => {
    const client = await asIvy(allow("DESCRIBE", "TOPIC", "auto"));
    const refused = await client.call("Metadata", 9, { topics: [{ name: "auto" }], allowAutoTopicCreation: true });
    expect(refused.topics.map((t) => t.errorCode)).toEqual([KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED]);
    await running?.broker.changeSecurity({ type: "add-acl", binding: allow("CREATE", "TOPIC", "auto") });
    const created = await client.call("Metadata", 9, { topics: [{ name: "auto" }], allowAutoTopicCreation: true });
    expect(created.topics.map((t) => t.errorCode)).toEqual([KAFKA_ERROR.NONE]);
  });

  test("Fetch needs READ and ListOffsets DESCRIBE (WRITE implies DESCRIBE, not READ)", async () => {
    const client = await asIvy();
    const fetched = await client.call("Fetch", 11, {
      maxWaitMs: 0,
      minBytes: 0,
      topics: [{ topic: "w", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }],
    });
    expect(fetched.responses[0].partitions[0].errorCode).toBe(KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED);
    const offsets = await client.call("ListOffsets", 5, {
      replicaId: -1,
      topics: [
        { name: "w", partitions: [{ partitionIndex: 0, timestamp: -1n }] },
        { name: "hidden", partitions: [{ partitionIndex: 0, timestamp: -1n }] },
      ],
    });
    expect(offsets.topics.map((t) => [t.name, t.partitions[0].errorCode])).toEqual([
      ["w", KAFKA_ERROR.NONE],
      ["hidden", KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED],
    ]);
  });
});

describe("groups and the cluster", () => {
  test("FindCoordinator, JoinGroup, Heartbeat and DescribeGroups on a group without the permission: GROUP_AUTHORIZATION_FAILED", async () => {
    const client = await asIvy();
    const found = await client.call("FindCoordinator", 4, { keyType: 0, coordinatorKeys: ["mine", "theirs"] });
    expect(found.coordinators.map((c) => [c.key, c.errorCode])).toEqual([
      ["mine", KAFKA_ERROR.NONE],
      ["theirs", KAFKA_ERROR.GROUP_AUTHORIZATION_FAILED],
    ]);
    const joined = await client.call("JoinGroup", 5, {
      groupId: "theirs",
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: "",
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array(0) }],
    });
    expect(joined.errorCode).toBe(KAFKA_ERROR.GROUP_AUTHORIZATION_FAILED);
    expect((await client.call("Heartbeat", 3, { groupId: "theirs", generationId: 1, memberId: "m", groupInstanceId: null })).errorCode).toBe(
      KAFKA_ERROR.GROUP_AUTHORIZATION_FAILED,
    );
    const described = await client.call("DescribeGroups", 5, { groups: ["theirs"], includeAuthorizedOperations: false });
    expect(described.groups.map((g) => g.errorCode)).toEqual([KAFKA_ERROR.GROUP_AUTHORIZATION_FAILED]);
  });

  test("OffsetCommit needs READ on the group, then READ on each topic; OffsetFetch hides what it may not describe", async () => {
    const client = await asIvy(allow("READ", "TOPIC", "w"));
    const commit = (groupId: string) =>
      client.call("OffsetCommit", 2, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        topics: ["w", "hidden"].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: "" }] })),
      });
    const refused = await commit("theirs");
    expect(refused.topics.map((t) => [t.name, t.partitions[0].errorCode])).toEqual([
      ["w", KAFKA_ERROR.GROUP_AUTHORIZATION_FAILED],
      ["hidden", KAFKA_ERROR.GROUP_AUTHORIZATION_FAILED],
    ]);
    const partly = await commit("mine");
    expect(partly.topics.map((t) => [t.name, t.partitions[0].errorCode])).toEqual([
      ["w", KAFKA_ERROR.NONE],
      ["hidden", KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED],
    ]);
    const fetched = await client.call("OffsetFetch", 8, {
      groups: [
        { groupId: "mine", topics: null },
        { groupId: "theirs", topics: null },
      ],
      requireStable: false,
    });
    expect(fetched.groups.map((g) => [g.groupId, g.errorCode, g.topics.map((t) => t.name)])).toEqual([
      ["mine", KAFKA_ERROR.NONE, ["w"]],
      ["theirs", KAFKA_ERROR.GROUP_AUTHORIZATION_FAILED, []],
    ]);
  });

  test("InitProducerId needs IDEMPOTENT_WRITE or WRITE on some topic; DescribeConfigs of a broker needs the cluster's DESCRIBE_CONFIGS", async () => {
    const writer = await asIvy();
    const id = await writer.call("InitProducerId", 4, { transactionalId: null, transactionTimeoutMs: -1, producerId: -1n, producerEpoch: -1 });
    expect(id.errorCode).toBe(KAFKA_ERROR.NONE);
    const configs = await writer.call("DescribeConfigs", 4, {
      resources: [
        { resourceType: 4, resourceName: "1", configurationKeys: null },
        { resourceType: 2, resourceName: "w", configurationKeys: null },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(configs.results.map((r) => r.errorCode)).toEqual([KAFKA_ERROR.CLUSTER_AUTHORIZATION_FAILED, KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED]);
    await running?.stop();

    running = await startInProcess({}, { tokenAuth: true });
    await running.broker.changeSecurity({ type: "add-user", name: "ivy", credentials: scramCredentialsForPassword("ivy-secret") });
    await running.broker.createTopic("w", 1);
    const reader = await RawClient.connect(running.kafka.port);
    await reader.call("SaslHandshake", 1, { mechanism: "PLAIN" });
    await reader.call("SaslAuthenticate", 2, { authBytes: new TextEncoder().encode("\u0000ivy\u0000ivy-secret") });
    const none = await reader.call("InitProducerId", 4, { transactionalId: null, transactionTimeoutMs: -1, producerId: -1n, producerEpoch: -1 });
    expect([none.errorCode, none.producerId]).toEqual([KAFKA_ERROR.CLUSTER_AUTHORIZATION_FAILED, -1n]);
  });
});
