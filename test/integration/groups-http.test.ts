import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { StreamNestClient } from "../../src/client/index.ts";
import { startCluster, type TestCluster } from "../helpers/broker-harness.ts";

/**
 * The group routes on three real brokers: every broker answers for every group (the
 * call goes to the coordinator), generations fence stale commits, bad input is a clear
 * 4xx, and committed offsets survive the coordinator's restart and kill -9.
 */

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
  const client = new StreamNestClient(cluster.brokers.map((b) => b.address));
  await client.createTopic("events", 4);
  await client.produceBatch(
    "events",
    Array.from({ length: 40 }, (_, i) => ({ message: `e-${i}`, partition: i % 4 })),
  );
});

afterAll(async () => {
  await cluster.stop();
});

async function call(broker: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${cluster.broker(broker).url}${path}`, {
    method,
    headers: body === undefined ? undefined : { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : JSON.parse(text) };
}

describe("group routes through any broker", () => {
  test("join, heartbeat, commit, describe and leave work the same from every broker", async () => {
    const join = await call(1, "POST", "/groups/web/members", { topics: ["events"], client_id: "t" });
    expect(join.status).toBe(200);
    const { member_id, generation } = join.json;
    expect(join.json).toMatchObject({ state: "Stable", assignor: "range", auto_offset_reset: "earliest", session_timeout_ms: 10000 });
    expect(join.json.assignments).toEqual([0, 1, 2, 3].map((p) => ({ topic: "events", partition: p, offset: 0, committed_offset: null })));
    for (const b of [1, 2, 3])
      expect(await call(b, "POST", `/groups/web/members/${member_id}/heartbeat`, { generation })).toEqual({
        status: 200,
        json: { generation, state: "Stable", heartbeat_interval_ms: 1000 },
      });
    const commit = await call(2, "POST", "/groups/web/offsets", {
      member_id,
      generation,
      offsets: [{ topic: "events", partition: 0, offset: 4 }, { topic: "events", partition: 3, offset: 10, metadata: "done" }],
    });
    expect(commit).toEqual({
      status: 200,
      json: { offsets: [{ topic: "events", partition: 0, offset: 4 }, { topic: "events", partition: 3, offset: 10 }] },
    });
    const described = [1, 2, 3].map((b) => call(b, "GET", "/groups/web"));
    for (const d of await Promise.all(described)) {
      expect(d.status).toBe(200);
      expect(d.json.partitions).toEqual([
        { topic: "events", partition: 0, member_id, committed_offset: 4, end_offset: 10, lag: 6 },
        { topic: "events", partition: 1, member_id, committed_offset: null, end_offset: 10, lag: null },
        { topic: "events", partition: 2, member_id, committed_offset: null, end_offset: 10, lag: null },
        { topic: "events", partition: 3, member_id, committed_offset: 10, end_offset: 10, lag: 0 },
      ]);
      expect(d.json).toMatchObject({ group: "web", state: "Stable", generation, assignor: "range" });
      expect(d.json.members.map((m: { member_id: string }) => m.member_id)).toEqual([member_id]);
    }
    // Rejoining hands out the committed offsets as starting points.
    const again = await call(3, "POST", "/groups/web/members", { topics: ["events"], member_id });
    expect(again.json.generation).toBe(generation);
    expect(again.json.assignments.map((a: { offset: number }) => a.offset)).toEqual([4, 0, 0, 10]);
    const offsets = await call(3, "GET", "/groups/web/offsets");
    expect(offsets.json.offsets.map((o: { partition: number; offset: number; metadata: string }) => [o.partition, o.offset, o.metadata])).toEqual([
      [0, 4, ""],
      [3, 10, "done"],
    ]);
    expect(await call(1, "DELETE", `/groups/web/members/${member_id}`)).toEqual({ status: 200, json: { status: "left" } });
    expect((await call(2, "GET", "/groups/web")).json).toMatchObject({ state: "Empty", members: [] });

    const list = await call(2, "GET", "/groups");
    expect(list.status).toBe(200);
    const web = list.json.groups.find((g: { group: string }) => g.group === "web");
    expect(web).toMatchObject({ group: "web", state: "Empty", members: 0 });
    expect(list.json.unreachable_brokers).toEqual([]);
    // The internal topic exists now, and stays out of the topic list.
    for (const b of [1, 2, 3]) expect((await call(b, "GET", "/list-topics")).json.topics).not.toContain("__consumer_offsets");
  });

  test("a commit of an older generation is refused, so a handed-over partition never moves back", async () => {
    const one = (await call(1, "POST", "/groups/fence/members", { topics: ["events"] })).json;
    expect(one.generation).toBeGreaterThan(0);
    const two = (await call(2, "POST", "/groups/fence/members", { topics: ["events"], wait_ms: 0 })).json;
    expect(two).toMatchObject({ state: "PreparingRebalance", assignments: [] });
    const beat = await call(3, "POST", `/groups/fence/members/${one.member_id}/heartbeat`, { generation: one.generation });
    expect(beat.status).toBe(409);
    expect(beat.json.error).toBe("REBALANCE_IN_PROGRESS");
    // Before rejoining, the old owner may still commit what it has processed.
    const before = await call(3, "POST", "/groups/fence/offsets", {
      member_id: one.member_id,
      generation: one.generation,
      offsets: [{ topic: "events", partition: 3, offset: 7 }],
    });
    expect(before.status).toBe(200);
    const oneAgain = (await call(1, "POST", "/groups/fence/members", { topics: ["events"], member_id: one.member_id })).json;
    const twoAgain = (await call(2, "POST", "/groups/fence/members", { topics: ["events"], member_id: two.member_id })).json;
    expect(oneAgain.generation).toBe(one.generation + 1);
    expect(twoAgain.generation).toBe(one.generation + 1);
    expect(oneAgain.assignments.map((a: { partition: number }) => a.partition).concat(twoAgain.assignments.map((a: { partition: number }) => a.partition)).sort()).toEqual([0, 1, 2, 3]);
    const newOwner = [oneAgain, twoAgain].find((m) => m.assignments.some((a: { partition: number }) => a.partition === 3));
    expect(newOwner.assignments.find((a: { partition: number }) => a.partition === 3).offset).toBe(7);

    const stale = await call(1, "POST", "/groups/fence/offsets", {
      member_id: one.member_id,
      generation: one.generation,
      offsets: [{ topic: "events", partition: 3, offset: 2 }],
    });
    expect(stale.status).toBe(409);
    expect(stale.json.error).toBe("ILLEGAL_GENERATION");
    expect(stale.json.message).toBe(`commit for generation ${one.generation} refused: group "fence" is at generation ${one.generation + 1}`);
    expect((await call(2, "GET", "/groups/fence/offsets")).json.offsets.map((o: { offset: number }) => o.offset)).toEqual([7]);
  });

  test("bad input is a clear 4xx", async () => {
    const join = (await call(1, "POST", "/groups/bad/members", { topics: ["events"] })).json;
    const expectError = async (b: number, method: string, path: string, body: unknown, status: number, error: string) => {
      const answer = await call(b, method, path, body);
      expect({ path, status: answer.status, error: answer.json?.error }).toEqual({ path, status, error });
      expect(typeof answer.json.message).toBe("string");
    };
    await expectError(2, "POST", "/groups/bad/members", { topics: ["nope"] }, 404, "TOPIC_NOT_FOUND");
    await expectError(2, "POST", "/groups/bad/members", { topics: [] }, 400, "INVALID_REQUEST");
    await expectError(2, "POST", "/groups/bad/members", {}, 400, "INVALID_REQUEST");
    await expectError(2, "POST", "/groups/bad/members", "{not json", 400, "INVALID_REQUEST");
    await expectError(2, "POST", "/groups/bad/members", { topics: ["events"], assignor: "sticky" }, 400, "INVALID_REQUEST");
    await expectError(2, "POST", "/groups/bad/members", { topics: ["events"], session_timeout_ms: 5 }, 400, "INVALID_REQUEST");
    await expectError(2, "POST", "/groups/bad/members", { topics: ["events"], member_id: "ghost" }, 400, "UNKNOWN_MEMBER_ID");
    // Any group id is valid, as in Kafka (a space and a comma too, percent-encoded), through any broker.
    const spaced = await call(3, "POST", "/groups/b%20a%2Cd/members", { topics: ["events"] });
    expect(spaced.status).toBe(200);
    expect((await call(2, "GET", "/groups/b%20a%2Cd")).json.group).toBe("b a,d");
    await expectError(3, "POST", "/groups/bad/members/ghost/heartbeat", { generation: 1 }, 400, "UNKNOWN_MEMBER_ID");
    await expectError(3, "POST", `/groups/bad/members/${join.member_id}/heartbeat`, { generation: "x" }, 400, "INVALID_REQUEST");
    await expectError(3, "POST", `/groups/bad/members/${join.member_id}/heartbeat`, { generation: join.generation + 5 }, 409, "ILLEGAL_GENERATION");
    await expectError(1, "POST", "/groups/never/members/ghost/heartbeat", { generation: 1 }, 404, "GROUP_NOT_FOUND");
    await expectError(1, "GET", "/groups/never", undefined, 404, "GROUP_NOT_FOUND");
    await expectError(1, "GET", "/groups/never/offsets", undefined, 404, "GROUP_NOT_FOUND");
    await expectError(1, "DELETE", "/groups/never/members/ghost", undefined, 404, "GROUP_NOT_FOUND");
    const base = { member_id: join.member_id, generation: join.generation };
    await expectError(2, "POST", "/groups/bad/offsets", { ...base, offsets: [] }, 400, "INVALID_REQUEST");
    await expectError(2, "POST", "/groups/bad/offsets", { ...base, offsets: [{ topic: "nope", partition: 0, offset: 1 }] }, 404, "TOPIC_NOT_FOUND");
    await expectError(2, "POST", "/groups/bad/offsets", { ...base, offsets: [{ topic: "events", partition: 9, offset: 1 }] }, 400, "PARTITION_OUT_OF_RANGE");
    await expectError(2, "POST", "/groups/bad/offsets", { ...base, offsets: [{ topic: "events", partition: 0, offset: -1 }] }, 400, "INVALID_OFFSET");
    await expectError(2, "POST", "/groups/bad/offsets", { member_id: "ghost", generation: 1, offsets: [{ topic: "events", partition: 0, offset: 1 }] }, 400, "UNKNOWN_MEMBER_ID");
    await expectError(2, "POST", "/groups/bad/offsets", { offsets: [{ topic: "events", partition: 0, offset: 1 }] }, 409, "NON_EMPTY_GROUP");
    await expectError(3, "DELETE", "/groups/bad/offsets", undefined, 409, "NON_EMPTY_GROUP");
    await expectError(3, "POST", "/internal/groups", { op: "list" }, 401, "UNAUTHORIZED");
    // Nothing above was committed.
    expect((await call(1, "GET", "/groups/bad/offsets")).json.offsets).toEqual([]);
  });

  test("deleting a group's offsets once its members are gone", async () => {
    expect((await call(1, "POST", "/groups/gone/offsets", { offsets: [{ topic: "events", partition: 1, offset: 3 }] })).status).toBe(200);
    expect((await call(3, "DELETE", "/groups/gone/offsets")).json).toEqual({ deleted: [{ topic: "events", partition: 1 }] });
    expect((await call(2, "GET", "/groups/gone")).status).toBe(404);
  });

  test("every group route is on the OpenAPI page and group metrics are exported", async () => {
    const doc = (await (await fetch(`${cluster.broker(1).url}/swagger/json`)).json()) as { paths: Record<string, unknown> };
    for (const path of ["/groups", "/groups/{group}", "/groups/{group}/members", "/groups/{group}/members/{member}/heartbeat", "/groups/{group}/members/{member}", "/groups/{group}/offsets"])
      expect(Object.keys(doc.paths)).toContain(path);
    const m = (await call(1, "POST", "/groups/metered/members", { topics: ["events"] })).json;
    await call(1, "POST", "/groups/metered/offsets", { member_id: m.member_id, generation: m.generation, offsets: [{ topic: "events", partition: 2, offset: 4 }] });
    const coordinator = (await call(1, "GET", "/groups/metered")).json.coordinator.id as number;
    const text = await (await fetch(`${cluster.broker(coordinator).url}/metrics`)).text();
    expect(text).toContain('streamnest_group_members{group="metered"} 1');
    expect(text).toContain('streamnest_group_committed_offset{group="metered",topic="events",partition="2"} 4');
    expect(text).toContain('streamnest_group_lag{group="metered",topic="events",partition="2"} 6');
    await call(1, "DELETE", `/groups/metered/members/${m.member_id}`);
  });
});

describe("committed offsets survive the coordinator", () => {
  test("a clean restart and a kill -9 of the coordinator lose no commit", async () => {
    const member = (await call(1, "POST", "/groups/durable/members", { topics: ["events"] })).json;
    const offsets = [0, 1, 2, 3].map((p) => ({ topic: "events", partition: p, offset: p + 1 }));
    expect((await call(2, "POST", "/groups/durable/offsets", { member_id: member.member_id, generation: member.generation, offsets })).status).toBe(200);
    const coordinator = (await call(3, "GET", "/groups/durable")).json.coordinator.id as number;
    const other = coordinator === 1 ? 2 : 1;

    await cluster.broker(coordinator).restart();
    const afterRestart = await call(other, "GET", "/groups/durable/offsets");
    expect(afterRestart.status).toBe(200);
    expect(afterRestart.json.offsets.map((o: { partition: number; offset: number }) => [o.partition, o.offset])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    // The old member is unknown to the new incarnation; it joins again and starts at the commits.
    const stale = await call(other, "POST", `/groups/durable/members/${member.member_id}/heartbeat`, { generation: member.generation });
    expect(stale.json.error).toBe("UNKNOWN_MEMBER_ID");
    const rejoined = (await call(other, "POST", "/groups/durable/members", { topics: ["events"] })).json;
    expect(rejoined.generation).toBeGreaterThan(member.generation);
    expect(rejoined.assignments.map((a: { offset: number }) => a.offset)).toEqual([1, 2, 3, 4]);
    const more = [{ topic: "events", partition: 2, offset: 9 }];
    expect((await call(other, "POST", "/groups/durable/offsets", { member_id: rejoined.member_id, generation: rejoined.generation, offsets: more })).status).toBe(200);

    await cluster.broker(coordinator).kill9();
    await cluster.broker(coordinator).start();
    const afterKill = await call(other, "GET", "/groups/durable/offsets");
    expect(afterKill.json.offsets.map((o: { partition: number; offset: number }) => [o.partition, o.offset])).toEqual([
      [0, 1],
      [1, 2],
      [2, 9],
      [3, 4],
    ]);
  });
});
