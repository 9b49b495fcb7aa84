import { afterEach, describe, expect, test } from "bun:test";
import { AssignerProtocol, type Consumer, Kafka, logLevel } from "kafkajs";
import { KAFKA_ERROR } from "../../../src/kafka/protocol/index.ts";
import { until } from "../../helpers/until.ts";
import { RawClient, startInProcess } from "../support/in-process.ts";

/**
 * DescribeGroups over the wire to an in-process broker: a kafkajs group's state,
 * protocol and members with the metadata and assignment bytes the clients sent, a
 * commit-only group, an unknown group, and kafkajs's admin.
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
  const kafka = new Kafka({ clientId: "describe-groups", brokers: [`127.0.0.1:${running.kafka.port}`], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  return { ...running, kafka, client: await RawClient.connect(running.kafka.port) };
}

const describeGroup = async (client: RawClient, groupId: string, version = 5) =>
  (await client.call("DescribeGroups", version, { groups: [groupId], includeAuthorizedOperations: false })).groups[0];

describe("DescribeGroups", () => {
  test("two kafkajs members: Stable, protocol consumer/RoundRobinAssigner, each member's metadata and assignment as sent", async () => {
    const { client, kafka, broker } = await setup();
    await broker.createTopic("dg", 4);
    for (const _ of [1, 2]) {
      const consumer = kafka.consumer({ groupId: "g", maxWaitTimeInMs: 100 });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic: "dg", fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
    }
    const g = await until(
      "both members in a Stable group",
      () => describeGroup(client, "g"),
      (d) => d.groupState === "Stable" && d.members.length === 2,
      30_000,
    );
    expect([g.errorCode, g.groupId, g.protocolType, g.protocolData]).toEqual([KAFKA_ERROR.NONE, "g", "consumer", "RoundRobinAssigner"]);
    for (const m of g.members) {
      expect([m.clientId, m.clientHost, m.groupInstanceId]).toEqual(["describe-groups", "127.0.0.1", null]);
      // The bytes relayed are kafkajs's own encoding: they decode to what it subscribed and was assigned.
      expect(AssignerProtocol.MemberMetadata.decode(Buffer.from(m.memberMetadata))?.topics).toEqual(["dg"]);
    }
    const assigned = g.members.flatMap((m) => AssignerProtocol.MemberAssignment.decode(Buffer.from(m.memberAssignment))?.assignment.dg ?? []);
    expect(assigned.sort()).toEqual([0, 1, 2, 3]);
    expect(new Set(g.members.map((m) => m.memberId)).size).toBe(2);
    // v0 has the same members, without the group instance id.
    const v0 = await describeGroup(client, "g", 0);
    expect(v0.members.map((m) => m.memberId).sort()).toEqual(g.members.map((m) => m.memberId).sort());
  });

  test("a group with only committed offsets is Empty; an unknown group is Dead; neither is an error", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("dg", 1);
    const commit = await client.call("OffsetCommit", 2, {
      groupId: "offsets-only",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      topics: [{ name: "dg", partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: "m" }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(KAFKA_ERROR.NONE);
    const answer = await client.call("DescribeGroups", 5, { groups: ["offsets-only", "nobody"], includeAuthorizedOperations: true });
    expect(answer.groups.map((g) => [g.groupId, g.errorCode, g.groupState, g.protocolType, g.protocolData, g.members.length])).toEqual([
      ["offsets-only", KAFKA_ERROR.NONE, "Empty", "", "", 0],
      ["nobody", KAFKA_ERROR.NONE, "Dead", "", "", 0],
    ]);
  });

  test("a group whose members joined over HTTP is described as ListGroups lists it: its state, assignor, members, subscriptions and partitions", async () => {
    const { client, broker } = await setup();
    await broker.createTopic("hg", 3);
    const first = await broker.groups.join("http-g", { clientId: "curl-1", topics: ["hg"], assignor: "range", waitMs: 0 });
    const second = broker.groups.join("http-g", { clientId: "curl-2", topics: ["hg"], waitMs: 5_000 });
    // The first member rejoins on the rebalance its peer started; then both hold partitions.
    await broker.groups.join("http-g", { memberId: first.memberId, clientId: "curl-1", topics: ["hg"], waitMs: 5_000 });
    const joined = await second;
    const view = await broker.groups.describe("http-g");
    expect(view.state).toBe("Stable");
    const g = await describeGroup(client, "http-g");
    expect([g.errorCode, g.groupState, g.protocolType, g.protocolData]).toEqual([KAFKA_ERROR.NONE, "Stable", "", "range"]);
    const members = g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      groupInstanceId: m.groupInstanceId,
      topics: AssignerProtocol.MemberMetadata.decode(Buffer.from(m.memberMetadata))?.topics,
      partitions: AssignerProtocol.MemberAssignment.decode(Buffer.from(m.memberAssignment))?.assignment,
    }));
    expect(members.sort((a, b) => (a.clientId < b.clientId ? -1 : 1))).toEqual(
      view.members
        .map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: "",
          groupInstanceId: null,
          topics: ["hg"],
          partitions: { hg: m.assignments.map((a) => a.partition) },
        }))
        .sort((a, b) => (a.clientId < b.clientId ? -1 : 1)),
    );
    expect(members.flatMap((m) => m.partitions?.hg ?? []).sort()).toEqual([0, 1, 2]);
    expect(members.map((m) => m.memberId)).toContain(joined.memberId);
    const listed = await client.call("ListGroups", 4, { statesFilter: [] });
    expect(listed.groups.find((x) => x.groupId === "http-g")).toEqual({ groupId: "http-g", protocolType: "", groupState: "Stable" });
    // Once its members leave, the group is Empty with no members, its offsets kept.
    for (const m of view.members) broker.groups.leave("http-g", m.memberId);
    const empty = await describeGroup(client, "http-g");
    expect([empty.groupState, empty.protocolData, empty.members]).toEqual(["Empty", "", []]);
  });

  test("kafkajs admin.describeGroups", async () => {
    const { client, kafka, broker } = await setup();
    await broker.createTopic("dg2", 2);
    const consumer = kafka.consumer({ groupId: "kjs", maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: "dg2", fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    await until("group kjs Stable", () => describeGroup(client, "kjs"), (d) => d.groupState === "Stable", 20_000);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups(["kjs", "unknown-group"]);
      expect(groups.map((g) => [g.groupId, g.state, g.protocolType, g.protocol, g.members.length])).toEqual([
        ["kjs", "Stable", "consumer", "RoundRobinAssigner", 1],
        ["unknown-group", "Dead", "", "", 0],
      ]);
      expect(AssignerProtocol.MemberAssignment.decode(groups[0].members[0].memberAssignment)?.assignment).toEqual({ dg2: [0, 1] });
    } finally {
      await admin.disconnect();
    }
  });
});
