import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appFixture, type AppFixture, until } from "./fixture.ts";

/**
 * The group routes in process on one real broker (it coordinates every group): shapes,
 * every bad-input case with its code and nothing written, the internal topic kept out
 * of sight, session expiry, and the OpenAPI page.
 */

let f: AppFixture;
beforeEach(async () => {
  f = await appFixture();
  await f.call("POST", "/create-topic", { topic: "t", partitions: 3 });
  await f.call("POST", "/produce", {
    topic: "t",
    messages: Array.from({ length: 9 }, (_, i) => ({ message: `m${i}`, partition: i % 3 })),
  });
});
afterEach(async () => {
  await f.close();
});

async function join(body: Record<string, unknown> = {}, group = "g") {
  const res = await f.call("POST", `/groups/${group}/members`, { topics: ["t"], ...body });
  expect(res.status).toBe(200);
  return res.body;
}

describe("group routes", () => {
  test("join answers member, generation, assignment with starting offsets, and the coordinator", async () => {
    const a = await join({ client_id: "app", auto_offset_reset: "latest", session_timeout_ms: 6000 });
    expect(a.member_id).toMatch(/^app-[0-9a-f-]{36}$/);
    expect(a).toEqual({
      member_id: a.member_id,
      generation: 1,
      state: "Stable",
      assignor: "range",
      assignments: [0, 1, 2].map((partition) => ({ topic: "t", partition, offset: 3, committed_offset: null })),
      heartbeat_interval_ms: 1000,
      session_timeout_ms: 6000,
      auto_offset_reset: "latest",
      coordinator: { id: 1, address: "localhost:9999" },
    });
    const commit = await f.call("POST", "/groups/g/offsets", {
      member_id: a.member_id,
      generation: 1,
      offsets: [{ topic: "t", partition: 1, offset: 2 }],
    });
    expect(commit).toEqual({ status: 200, body: { offsets: [{ topic: "t", partition: 1, offset: 2 }] } });
    const again = await join({ member_id: a.member_id });
    expect(again.assignments.map((x: { offset: number }) => x.offset)).toEqual([0, 2, 0]);
    expect(again.assignments[1].committed_offset).toBe(2);
  });

  test("a second member waits for the first to rejoin (long poll) and both get disjoint halves", async () => {
    const a = await join({ assignor: "roundrobin" });
    const bJoin = f.call("POST", "/groups/g/members", { topics: ["t"], wait_ms: 10_000 });
    await until(async () => (await f.call("GET", "/groups/g")).body.state === "PreparingRebalance");
    const beat = await f.call("POST", `/groups/g/members/${a.member_id}/heartbeat`, { generation: 1 });
    expect(beat.status).toBe(409);
    expect(beat.body.error).toBe("REBALANCE_IN_PROGRESS");
    const a2 = await join({ member_id: a.member_id });
    const b = (await bJoin).body;
    expect(a2.generation).toBe(2);
    expect(b.generation).toBe(2);
    const owned = [...a2.assignments, ...b.assignments].map((x: { partition: number }) => x.partition).sort();
    expect(owned).toEqual([0, 1, 2]);
    expect(Math.abs(a2.assignments.length - b.assignments.length)).toBe(1);
    const described = (await f.call("GET", "/groups/g")).body;
    expect(described.assignor).toBe("roundrobin");
    expect(described.members.map((m: { member_id: string }) => m.member_id).sort()).toEqual([a.member_id, b.member_id].sort());
  });

  test("a member that stops heartbeating is removed after its session timeout", async () => {
    const a = await join({ session_timeout_ms: 1000 });
    const b = await join({ session_timeout_ms: 1000, wait_ms: 0 });
    await join({ member_id: a.member_id, session_timeout_ms: 1000 });
    await join({ member_id: b.member_id, session_timeout_ms: 1000 });
    // Only b keeps beating; a goes quiet and must be dropped, leaving b every partition.
    let described = (await f.call("GET", "/groups/g")).body;
    while (described.members.length !== 1 || described.state !== "Stable") {
      const beat = await f.call("POST", `/groups/g/members/${b.member_id}/heartbeat`, { generation: described.generation });
      if (beat.status === 409) await join({ member_id: b.member_id, session_timeout_ms: 1000 });
      await Bun.sleep(100);
      described = (await f.call("GET", "/groups/g")).body;
    }
    expect(described.members[0].member_id).toBe(b.member_id);
    expect(described.members[0].assignments.map((x: { partition: number }) => x.partition)).toEqual([0, 1, 2]);
    const gone = await f.call("POST", `/groups/g/members/${a.member_id}/heartbeat`, { generation: described.generation });
    expect(gone.status).toBe(400);
    expect(gone.body.error).toBe("UNKNOWN_MEMBER_ID");
  });

  test("every bad request is a 4xx with a clear code and writes nothing", async () => {
    const a = await join();
    await f.call("POST", "/groups/g/offsets", { member_id: a.member_id, generation: 1, offsets: [{ topic: "t", partition: 0, offset: 1 }] });
    const before = f.snapshot();
    const base = { member_id: a.member_id, generation: 1 };
    const cases: Array<[string, string, unknown, number, string]> = [
      ["POST", "/groups/g/members", { topics: ["nope"] }, 404, "TOPIC_NOT_FOUND"],
      ["POST", "/groups/g/members", { topics: ["__consumer_offsets"] }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", { topics: [] }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", { topics: "t" }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", { topics: ["t"], assignor: "sticky" }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", { topics: ["t"], session_timeout_ms: 999 }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", { topics: ["t"], session_timeout_ms: "10s" }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", { topics: ["t"], wait_ms: -1 }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", { topics: ["t"], auto_offset_reset: "none" }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", { topics: ["t"], member_id: "ghost" }, 400, "UNKNOWN_MEMBER_ID"],
      ["POST", "/groups/g/members", { topics: ["t"], assignor: "roundrobin" }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", "{", 400, "INVALID_REQUEST"],
      // Any group id is valid (see the test of ids with commas) unless a Kafka STRING cannot carry it.
      ["POST", `/groups/${"x".repeat(32_768)}/members`, { topics: ["t"] }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members/ghost/heartbeat", { generation: 1 }, 400, "UNKNOWN_MEMBER_ID"],
      ["POST", `/groups/g/members/${a.member_id}/heartbeat`, {}, 400, "INVALID_REQUEST"],
      ["POST", `/groups/g/members/${a.member_id}/heartbeat`, { generation: 0 }, 409, "ILLEGAL_GENERATION"],
      ["POST", "/groups/none/members/ghost/heartbeat", { generation: 1 }, 404, "GROUP_NOT_FOUND"],
      ["DELETE", "/groups/g/members/ghost", undefined, 400, "UNKNOWN_MEMBER_ID"],
      ["DELETE", "/groups/none/members/ghost", undefined, 404, "GROUP_NOT_FOUND"],
      ["GET", "/groups/none", undefined, 404, "GROUP_NOT_FOUND"],
      ["GET", "/groups/none/offsets", undefined, 404, "GROUP_NOT_FOUND"],
      ["DELETE", "/groups/none/offsets", undefined, 404, "GROUP_NOT_FOUND"],
      ["DELETE", "/groups/g/offsets", undefined, 409, "NON_EMPTY_GROUP"],
      ["DELETE", "/groups/g/offsets?topic=t", undefined, 409, "NON_EMPTY_GROUP"],
      ["POST", "/groups/g/offsets", { ...base }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/offsets", { ...base, offsets: [] }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/offsets", { ...base, offsets: [{ topic: "t", partition: 0 }] }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/offsets", { ...base, offsets: [{ topic: "t", partition: 0, offset: "five" }] }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/offsets", { ...base, offsets: [{ topic: "t", partition: 0, offset: -5 }] }, 400, "INVALID_OFFSET"],
      ["POST", "/groups/g/offsets", { ...base, offsets: [{ topic: "t", partition: 3, offset: 5 }] }, 400, "PARTITION_OUT_OF_RANGE"],
      ["POST", "/groups/g/offsets", { ...base, offsets: [{ topic: "u", partition: 0, offset: 5 }] }, 404, "TOPIC_NOT_FOUND"],
      // Partition 0 holds offsets 0..2: 3 is "all read", 4 was never there to read.
      ["POST", "/groups/g/offsets", { ...base, offsets: [{ topic: "t", partition: 0, offset: 4 }] }, 400, "OFFSET_OUT_OF_RANGE"],
      ["POST", "/groups/g/offsets", { ...base, generation: 7, offsets: [{ topic: "t", partition: 0, offset: 5 }] }, 409, "ILLEGAL_GENERATION"],
      ["POST", "/groups/g/offsets", { ...base, member_id: "ghost", offsets: [{ topic: "t", partition: 0, offset: 5 }] }, 400, "UNKNOWN_MEMBER_ID"],
      ["POST", "/groups/g/offsets", { offsets: [{ topic: "t", partition: 0, offset: 5 }] }, 409, "NON_EMPTY_GROUP"],
      ["POST", "/groups/none/offsets", { member_id: "ghost", generation: 1, offsets: [{ topic: "t", partition: 0, offset: 5 }] }, 404, "GROUP_NOT_FOUND"],
      ["POST", "/groups/g/members", { topics: ["../x"] }, 400, "INVALID_TOPIC_NAME"],
      ["POST", "/groups/g/members", { topics: ["t"], session_timeout_ms: "10000" }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/members", { topics: ["t"], wait_ms: "0" }, 400, "INVALID_REQUEST"],
      ["POST", `/groups/g/members/${a.member_id}/heartbeat`, { generation: "1" }, 400, "INVALID_REQUEST"],
      ["POST", "/groups/g/offsets", { ...base, offsets: [{ topic: "a/b", partition: 0, offset: 5 }] }, 400, "INVALID_TOPIC_NAME"],
      ["POST", "/groups/g/offsets", { ...base, offsets: [{ topic: "t", partition: "0", offset: 5 }] }, 400, "INVALID_REQUEST"],
      ["GET", "/groups/g/offsets?topic=..", undefined, 400, "INVALID_TOPIC_NAME"],
      ["GET", "/groups/g/offsets?topic=t&topic=u", undefined, 400, "INVALID_REQUEST"],
      ["DELETE", "/groups/g/offsets?topic=a%2Fb", undefined, 400, "INVALID_TOPIC_NAME"],
      ["POST", "/internal/groups", { op: "list" }, 401, "UNAUTHORIZED"],
      ["DELETE", "/topics/__consumer_offsets", undefined, 400, "INVALID_REQUEST"],
    ];
    for (const [method, path, body, status, error] of cases) {
      const res = await f.call(method, path, body);
      expect({ method, path, status: res.status, error: res.body?.error }).toEqual({ method, path, status, error });
      expect(typeof res.body.message).toBe("string");
    }
    expect(f.snapshot()).toEqual(before);
    expect((await f.call("GET", "/groups/g/offsets")).body.offsets.map((o: { offset: number }) => o.offset)).toEqual([1]);
  });

  test("offsets: read per topic, deleted once the members left (and the group with them)", async () => {
    const a = await join();
    await f.call("POST", "/groups/g/offsets", {
      member_id: a.member_id,
      generation: 1,
      offsets: [{ topic: "t", partition: 2, offset: 3, metadata: "batch 7" }],
    });
    const read = await f.call("GET", "/groups/g/offsets?topic=t");
    expect(read.body.group).toBe("g");
    expect(read.body.offsets).toEqual([
      { topic: "t", partition: 2, offset: 3, metadata: "batch 7", commit_timestamp: read.body.offsets[0].commit_timestamp },
    ]);
    await f.call("POST", "/create-topic", { topic: "other", partitions: 1 });
    expect((await f.call("GET", "/groups/g/offsets?topic=other")).body.offsets).toEqual([]);
    expect(await f.call("GET", "/groups/g/offsets?topic=nope")).toEqual({
      status: 404,
      body: { error: "TOPIC_NOT_FOUND", message: 'topic "nope" does not exist' },
    });
    expect((await f.call("DELETE", "/groups/g/offsets?topic=nope")).body.error).toBe("TOPIC_NOT_FOUND");
    expect(await f.call("DELETE", `/groups/g/members/${a.member_id}`)).toEqual({ status: 200, body: { status: "left" } });
    expect(await f.call("DELETE", "/groups/g/offsets?topic=t")).toEqual({ status: 200, body: { deleted: [{ topic: "t", partition: 2 }] } });
    expect((await f.call("GET", "/groups/g")).body.state).toBe("Empty");
    expect(await f.call("DELETE", "/groups/g/offsets")).toEqual({ status: 200, body: { deleted: [] } });
    expect((await f.call("GET", "/groups/g")).status).toBe(404);
    expect((await f.call("GET", "/groups")).body).toEqual({ groups: [], unreachable_brokers: [] });
  });

  test("any group id works percent-encoded in paths (commas, slashes, spaces, non-ASCII) and its offsets survive a restart", async () => {
    const group = "roundrobin,range/é x?%";
    const path = `/groups/${encodeURIComponent(group)}`;
    const a = await join({}, encodeURIComponent(group));
    expect(
      await f.call("POST", `${path}/offsets`, { member_id: a.member_id, generation: 1, offsets: [{ topic: "t", partition: 1, offset: 2 }] }),
    ).toEqual({ status: 200, body: { offsets: [{ topic: "t", partition: 1, offset: 2 }] } });
    expect((await f.call("GET", "/groups")).body.groups.map((g: { group: string }) => g.group)).toEqual([group]);
    await f.reopen();
    const read = await f.call("GET", `${path}/offsets`);
    expect([read.status, read.body.group, read.body.offsets.map((o: { offset: number }) => o.offset)]).toEqual([200, group, [2]]);
    expect((await f.call("GET", path)).body).toMatchObject({ group, state: "Empty" });
    // The group next to it (the id without its comma) shares nothing.
    expect((await f.call("GET", `/groups/${encodeURIComponent("roundrobin")}`)).status).toBe(404);
  });

  test("__consumer_offsets is created on first use, hidden from the topic list unless asked, and survives a restart", async () => {
    // A client cannot create it first with a partition count of its own choosing.
    expect(await f.call("POST", "/create-topic", { topic: "__consumer_offsets", partitions: 1 })).toEqual({
      status: 400,
      body: { error: "INVALID_REQUEST", message: "__consumer_offsets is internal: the brokers create it when a consumer group first needs it" },
    });
    expect((await f.call("GET", "/list-topics")).body).toEqual({ topics: ["t"] });
    const a = await join();
    await f.call("POST", "/groups/g/offsets", { member_id: a.member_id, generation: 1, offsets: [{ topic: "t", partition: 0, offset: 3 }] });
    expect((await f.call("GET", "/list-topics")).body).toEqual({ topics: ["t"] });
    expect((await f.call("GET", "/list-topics?internal=true")).body).toEqual({ topics: ["__consumer_offsets", "t"] });
    expect((await f.call("GET", "/topics/__consumer_offsets")).body.partitions).toHaveLength(12);
    await f.reopen();
    const after = await f.call("GET", "/groups/g");
    expect(after.body).toMatchObject({ state: "Empty", generation: 1, members: [] });
    expect(after.body.partitions).toEqual([{ topic: "t", partition: 0, member_id: null, committed_offset: 3, end_offset: 3, lag: 0 }]);
  });

  test("clients cannot write to __consumer_offsets: a forged record would move a group's offsets", async () => {
    const a = await join();
    await f.call("POST", "/groups/g/offsets", { member_id: a.member_id, generation: 1, offsets: [{ topic: "t", partition: 0, offset: 2 }] });
    const before = f.snapshot();
    const refusal = {
      error: "INVALID_REQUEST",
      message: "__consumer_offsets is an internal topic written by the group coordinators only; commit offsets with POST /groups/:group/offsets",
    };
    expect(await f.call("POST", "/produce", { topic: "__consumer_offsets", message: "{}", key: "g" })).toEqual({ status: 400, body: refusal });
    expect(await f.call("POST", "/produce", { topic: "__consumer_offsets", message: "{}", partition: 0 })).toEqual({ status: 400, body: refusal });
    expect(await f.call("POST", "/produce", { topic: "__consumer_offsets", messages: [{ message: "{}" }] })).toEqual({ status: 400, body: refusal });
    expect(await f.call("POST", "/register-schema", { topic: "__consumer_offsets", schema: { type: "string" } })).toEqual({
      status: 400,
      body: { error: "INVALID_REQUEST", message: "__consumer_offsets is written by the group coordinators only and takes no schema" },
    });
    expect(f.snapshot()).toEqual(before);
    // Commits still work, and the topic can still be read.
    expect((await f.call("POST", "/groups/g/offsets", { member_id: a.member_id, generation: 1, offsets: [{ topic: "t", partition: 0, offset: 3 }] })).status).toBe(200);
    expect((await f.call("GET", "/groups/g/offsets")).body.offsets.map((o: { offset: number }) => o.offset)).toEqual([3]);
  });

  test("a topic deleted and created again starts from scratch: its old offsets do not skip the new records", async () => {
    const a = await join();
    await f.call("POST", "/groups/g/offsets", { member_id: a.member_id, generation: 1, offsets: [{ topic: "t", partition: 0, offset: 3 }] });
    expect((await f.call("DELETE", "/topics/t")).status).toBe(200);
    expect((await f.call("POST", "/create-topic", { topic: "t", partitions: 4 })).status).toBe(200);
    await f.call("POST", "/produce", { topic: "t", messages: Array.from({ length: 5 }, (_, i) => ({ message: `new${i}`, partition: 0 })) });
    expect((await f.call("GET", "/groups/g/offsets")).body.offsets).toEqual([]);
    const beat = await f.call("POST", `/groups/g/members/${a.member_id}/heartbeat`, { generation: 1 });
    expect(beat).toMatchObject({ status: 409, body: { error: "REBALANCE_IN_PROGRESS" } });
    const again = await join({ member_id: a.member_id });
    expect(again.generation).toBe(2);
    expect(again.assignments).toEqual([0, 1, 2, 3].map((partition) => ({ topic: "t", partition, offset: 0, committed_offset: null })));
    const described = (await f.call("GET", "/groups/g")).body;
    expect(described.partitions[0]).toEqual({ topic: "t", partition: 0, member_id: a.member_id, committed_offset: null, end_offset: 5, lag: null });
  });

  test("every group route is on the OpenAPI page", async () => {
    const doc = (await (await f.request("GET", "/swagger/json")).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/groups"])).toEqual(["get"]);
    expect(Object.keys(doc.paths["/groups/{group}"])).toEqual(["get"]);
    expect(Object.keys(doc.paths["/groups/{group}/members"])).toEqual(["post"]);
    expect(Object.keys(doc.paths["/groups/{group}/members/{member}/heartbeat"])).toEqual(["post"]);
    expect(Object.keys(doc.paths["/groups/{group}/members/{member}"])).toEqual(["delete"]);
    expect(Object.keys(doc.paths["/groups/{group}/offsets"]).sort()).toEqual(["delete", "get", "post"]);
  });
});
