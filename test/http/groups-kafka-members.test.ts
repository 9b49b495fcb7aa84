import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ClassicGroups } from "../../src/kafka/groups/classic-groups.ts";
import { appFixture, type AppFixture } from "./fixture.ts";

/**
 * A group whose members are Kafka consumers (the Kafka listener's classic groups, real and
 * in memory), seen and guarded through the HTTP routes. The incident: a kafkajs consumer
 * was consuming group g1, while GET /groups/g1 said Empty with no members, the console
 * offered "Reset offsets", and POST /groups/g1/offsets moved the offsets under it.
 */

let f: AppFixture;
let kafka: ClassicGroups;
let detach: () => void;

/** ConsumerProtocolSubscription v0 of topic "t"; the assignment of partitions 0 and 1 of it. */
const SUBSCRIPTION = new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff]);
const ASSIGNMENT = new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]);

async function kafkaMember(group: string): Promise<string> {
  const g = kafka.open(group);
  const now = Date.now();
  const joined = await g.join(
    {
      memberId: "",
      groupInstanceId: null,
      clientId: "kafkajs",
      clientHost: "/127.0.0.1",
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      protocolType: "consumer",
      protocols: [{ name: "RoundRobinAssigner", metadata: SUBSCRIPTION }],
    },
    now,
  );
  await g.sync(joined.memberId, joined.generationId, [{ memberId: joined.memberId, assignment: ASSIGNMENT }], now);
  return joined.memberId;
}

beforeEach(async () => {
  f = await appFixture();
  kafka = new ClassicGroups(60_000, 0);
  detach = f.broker.groups.attachForeignGroups(kafka);
  await f.call("POST", "/create-topic", { topic: "t", partitions: 2 });
  await f.call("POST", "/produce", { topic: "t", messages: [0, 1, 0, 1].map((partition, i) => ({ message: `m${i}`, partition })) });
});
afterEach(async () => {
  detach();
  kafka.close();
  await f.close();
});

describe("a group of Kafka consumers over HTTP", () => {
  test("GET /groups/:group shows its state, generation, assignor, members and assignment; /groups lists it", async () => {
    const member = await kafkaMember("g1");
    const view = await f.call("GET", "/groups/g1");
    expect(view.status).toBe(200);
    expect([view.body.state, view.body.generation, view.body.assignor]).toEqual(["Stable", 1, "RoundRobinAssigner"]);
    expect(view.body.members.map((m: Record<string, unknown>) => ({ ...m, last_seen: 0 }))).toEqual([
      {
        member_id: member,
        client_id: "kafkajs",
        topics: ["t"],
        session_timeout_ms: 30_000,
        auto_offset_reset: "client",
        assignments: [
          { topic: "t", partition: 0 },
          { topic: "t", partition: 1 },
        ],
        last_seen: 0,
      },
    ]);
    expect(view.body.partitions.map((p: { member_id: string | null; end_offset: number }) => [p.member_id, p.end_offset])).toEqual([
      [member, 2],
      [member, 2],
    ]);
    const list = await f.call("GET", "/groups");
    expect(list.body.groups.map((g: Record<string, unknown>) => [g.group, g.state, g.members])).toEqual([["g1", "Stable", 1]]);
  });

  test("resetting or deleting its offsets from outside, or an HTTP member joining, is 409 NON_EMPTY_GROUP while it has members", async () => {
    await kafkaMember("g1");
    // The Kafka consumer's own commit goes through (OffsetCommit passes anyOffset).
    await f.broker.groups.commit("g1", { offsets: [{ topic: "t", partition: 0, offset: 2 }], anyOffset: true });
    const reset = await f.call("POST", "/groups/g1/offsets", { offsets: [{ topic: "t", partition: 0, offset: 0 }] });
    expect(reset).toEqual({
      status: 409,
      body: { error: "NON_EMPTY_GROUP", message: 'group "g1" has 1 Kafka consumer member(s); stop them before changing its offsets' },
    });
    expect((await f.call("DELETE", "/groups/g1/offsets")).body).toEqual({
      error: "NON_EMPTY_GROUP",
      message: 'group "g1" has 1 Kafka consumer member(s); stop them before deleting its offsets',
    });
    expect((await f.call("POST", "/groups/g1/members", { topics: ["t"] })).body).toEqual({
      error: "NON_EMPTY_GROUP",
      message: 'group "g1" has 1 Kafka consumer member(s); an HTTP member cannot join it (use another group id)',
    });
    const kept = (await f.call("GET", "/groups/g1/offsets")).body.offsets;
    expect(kept.map((o: Record<string, unknown>) => [o.topic, o.partition, o.offset])).toEqual([["t", 0, 2]]);
  });

  test("once its Kafka members are gone, the offsets may be reset over HTTP", async () => {
    const member = await kafkaMember("g1");
    kafka.get("g1")?.leave(member);
    expect((await f.call("POST", "/groups/g1/offsets", { offsets: [{ topic: "t", partition: 1, offset: 1 }] })).status).toBe(200);
    expect((await f.call("GET", "/groups/g1")).body.state).toBe("Empty");
  });

  test("a group with members that joined over HTTP turns a Kafka JoinGroup away: their count is known here", async () => {
    expect(f.broker.groups.membersHere("h")).toBe(0);
    expect((await f.call("POST", "/groups/h/members", { topics: ["t"] })).status).toBe(200);
    expect(f.broker.groups.membersHere("h")).toBe(1);
  });
});
