import { afterEach, describe, expect, test } from "bun:test";
import { type Consumer, Kafka, logLevel } from "kafkajs";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { until } from "../../helpers/until.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/**
 * ListGroups over the wire to an in-process broker: a kafkajs consumer's classic group,
 * a group that only committed offsets, the v4 state filter, and kafkajs's admin.
 */

let running: Awaited<ReturnType<typeof startInProcess>> | undefined;
const consumers: Consumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
  await running?.stop();
  running = undefined;
});

async function setup() {
  running = await startInProcess({ advertise: "127.0.0.1:0" });
  const kafka = new Kafka({ clientId: "list-groups", brokers: [`127.0.0.1:${running.kafka.port}`], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  return { ...running, kafka, client: await RawClient.connect(running.kafka.port) };
}

/** A kafkajs consumer in `groupId`, running until its group is Stable with it as a member. */
async function stableMember(kafka: Kafka, client: RawClient, groupId: string, topic: string): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  await until(
    `group ${groupId} Stable`,
    async () => (await client.call("DescribeGroups", 5, { groups: [groupId], includeAuthorizedOperations: false })).groups[0].groupState,
    (state) => state === "Stable",
    20_000,
  );
}

/** Commits an offset with no member and generation -1: a group that only has committed offsets. */
async function commitOnly(client: RawClient, groupId: string, topic: string): Promise<void> {
  const answer = await client.call("OffsetCommit", 2, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: "",
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: "" }] }],
  });
  expect(answer.topics[0].partitions[0].errorCode).toBe(KAFKA_ERROR.NONE);
}

describe("ListGroups", () => {
  test("lists a kafkajs group with its protocol type and state, and a commit-only group as Empty with no protocol type; v4 filters by state", async () => {
    const { client, kafka, broker } = await setup();
    await broker.createTopic("lg", 1);
    await stableMember(kafka, client, "g-live", "lg");
    await commitOnly(client, "g-offsets", "lg");

    const all = await client.call("ListGroups", 4, { statesFilter: [] });
    expect(all.errorCode).toBe(KAFKA_ERROR.NONE);
    expect(all.groups.map((g) => [g.groupId, g.protocolType, g.groupState]).sort()).toEqual([
      ["g-live", "consumer", "Stable"],
      ["g-offsets", "", "Empty"],
    ]);
    // States match ignoring case, as Kafka's filter does.
    expect((await client.call("ListGroups", 4, { statesFilter: ["stable"] })).groups.map((g) => g.groupId)).toEqual(["g-live"]);
    expect((await client.call("ListGroups", 4, { statesFilter: ["Empty", "Dead"] })).groups.map((g) => g.groupId)).toEqual(["g-offsets"]);
    expect((await client.call("ListGroups", 4, { statesFilter: ["PreparingRebalance"] })).groups).toEqual([]);
    // v0 has neither the filter nor the state.
    const v0 = await client.call("ListGroups", 0, {});
    expect(v0.groups.map((g) => [g.groupId, g.protocolType]).sort()).toEqual([
      ["g-live", "consumer"],
      ["g-offsets", ""],
    ]);
  });

  test("a broker with no groups answers an empty list", async () => {
    const { client } = await setup();
    expect(await client.call("ListGroups", 3, {})).toEqual({ throttleTimeMs: 0, errorCode: KAFKA_ERROR.NONE, groups: [] });
  });

  test("kafkajs admin.listGroups sees both groups", async () => {
    const { client, kafka, broker } = await setup();
    await broker.createTopic("lg2", 1);
    await stableMember(kafka, client, "kjs-live", "lg2");
    await commitOnly(client, "kjs-offsets", "lg2");
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.listGroups();
      expect(groups.map((g) => [g.groupId, g.protocolType]).sort()).toEqual([
        ["kjs-live", "consumer"],
        ["kjs-offsets", ""],
      ]);
    } finally {
      await admin.disconnect();
    }
  });
});
