import { afterEach, describe, expect, test } from "bun:test";
import { encodeMetadata } from "../../src/broker/metadata-store.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { create, createTopic, eventually, NodeSet } from "./helpers/serve-node.ts";

let set: NodeSet | undefined;
afterEach(() => {
  set?.stopAll();
  set = undefined;
});

function outcome(p: Promise<string>): Promise<string> {
  return p.catch((e: unknown) => (e instanceof StreamNestError ? e.code : String(e)));
}

describe("Controller", () => {
  test("a change received by any broker is applied once by the controller and is on every broker when answered", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    expect(await create(set.get(3).node, "demo", 3)).toBe("created");
    for (const n of set.nodes) {
      expect(n.version()).toBe(1);
      expect(n.topics()).toEqual({ demo: 3 });
    }
    expect(await create(set.get(2).node, "demo", 3)).toBe("exists");
    const error = (await create(set.get(2).node, "demo", 4).catch((e: unknown) => e)) as StreamNestError;
    expect(error.code).toBe("TOPIC_EXISTS");
    expect(error.message).toBe('topic "demo" already exists with 3 partitions');
    for (const n of set.nodes) expect(n.version()).toBe(1);
    // Each broker persisted the same document.
    expect(new Set(set.nodes.map((n) => encodeMetadata(n.store.current))).size).toBe(1);
  });

  test("concurrent creates of one topic on two brokers: one created, the other exists or 409, all agree", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    const same = await Promise.all([outcome(create(set.get(2).node, "same", 2)), outcome(create(set.get(3).node, "same", 2))]);
    expect(same.sort()).toEqual(["created", "exists"]);
    const differ = await Promise.all([outcome(create(set.get(1).node, "differ", 2)), outcome(create(set.get(3).node, "differ", 5))]);
    const winner = differ[0] === "created" ? 2 : 5;
    expect(differ.sort()).toEqual(["TOPIC_EXISTS", "created"]);
    for (const n of set.nodes) {
      expect(n.version()).toBe(2);
      expect(n.topics()).toEqual({ same: 2, differ: winner });
    }
  });

  test("a broker down during a change learns it when it starts again", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    const three = set.get(3);
    three.stop();
    expect(await create(set.get(2).node, "while-down", 1)).toBe("created");
    expect(three.version()).toBe(0);
    await three.start();
    expect(three.version()).toBe(1);
    expect(three.topics()).toEqual({ "while-down": 1 });
  });

  test("a broker whose listener was down while running catches up by itself", async () => {
    // Three brokers, so that the other two are a majority and take the change.
    set = await NodeSet.create(3);
    await set.startAll();
    const two = set.get(2);
    two.server?.stop(true);
    expect(await create(set.get(1).node, "missed", 1)).toBe("created");
    expect(two.version()).toBe(0);
    // Its own heartbeats still reach broker 1, whose answers report the newer version.
    await eventually(() => two.version() === 1, "broker 2 pulls version 1");
    expect(two.topics()).toEqual({ missed: 1 });
  });

  test("with the controller down the next lowest id takes changes, and numbering continues after it returns", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    const one = set.get(1);
    expect(await create(set.get(3).node, "a", 1)).toBe("created");
    one.stop();
    // Broker 3 may still think 1 is alive: the refused call marks it dead and moves on.
    expect(await create(set.get(3).node, "b", 1)).toBe("created");
    expect(set.get(2).version()).toBe(2);
    expect(set.get(2).topics()).toEqual({ a: 1, b: 1 });
    await one.start();
    expect(one.version()).toBe(2);
    await eventually(() => set!.get(3).node.membership.controllerId() === 1, "broker 1 is controller again");
    expect(await create(set.get(3).node, "c", 1)).toBe("created");
    for (const n of set.nodes) {
      expect(n.version()).toBe(3);
      expect(n.topics()).toEqual({ a: 1, b: 1, c: 1 });
    }
  });

  test("a broker left without a majority refuses changes, so it never numbers a version the others number too", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    expect(await create(set.get(1).node, "before", 1)).toBe("created");
    set.get(2).stop();
    set.get(3).stop();
    const error = (await create(set.get(1).node, "alone", 1).catch((e: unknown) => e)) as StreamNestError;
    expect(error).toBeInstanceOf(StreamNestError);
    expect(error.code).toBe("NOT_CONTROLLER");
    expect(error.message).toStartWith("only 1 of the cluster's 3 brokers can be reached (down: broker 2 (");
    expect(error.message).toContain("needs a majority (2) up");
    expect(error.details).toEqual({ alive: 1, brokers: 3, needed: 2 });
    expect(set.get(1).version()).toBe(1);
    expect(set.get(1).topics()).toEqual({ before: 1 });
    // With one of the others back there is a majority again; the change goes through
    // once, and the third learns it when it returns.
    await set.get(2).start();
    await eventually(() => set!.get(1).node.membership.isAlive(2), "broker 1 hears from 2");
    expect(await create(set.get(1).node, "two-up", 1)).toBe("created");
    await set.get(3).start();
    for (const n of set.nodes) expect(n.topics()).toEqual({ before: 1, "two-up": 1 });
  });

  test("a change sent by a broker to a controller without a majority gets the controller's reason", async () => {
    set = await NodeSet.create(3);
    await set.startAll();
    set.get(3).stop();
    await eventually(() => !set!.get(1).node.membership.isAlive(3), "broker 1 counts 3 dead");
    // Broker 1 now sees only itself and 2, then 2 goes too: 2's change reaches 1, which refuses.
    const two = set.get(2);
    two.server?.stop(true);
    await eventually(() => !set!.get(1).node.membership.isAlive(2), "broker 1 counts 2 dead");
    const error = (await create(two.node, "x", 1).catch((e: unknown) => e)) as StreamNestError;
    expect(error.code).toBe("NOT_CONTROLLER");
    expect(error.message).toStartWith("only 1 of the cluster's 3 brokers can be reached");
    for (const n of set.nodes) expect(n.version()).toBe(0);
  });

  test("two brokers holding different metadata under one version settle on the same one", async () => {
    set = await NodeSet.create(2);
    await set.startAll();
    // What two controllers cut off from each other could have done: each numbered its own
    // change version 1.
    set.get(1).store.apply(createTopic("left", 1));
    set.get(2).store.apply(createTopic("right", 2));
    expect(set.get(1).version()).toBe(1);
    expect(set.get(2).version()).toBe(1);
    await eventually(
      () => encodeMetadata(set!.get(1).store.current) === encodeMetadata(set!.get(2).store.current),
      "both hold one document",
    );
    const topics = set.get(1).topics();
    expect([{ left: 1 }, { right: 2 }] as Record<string, number>[]).toContainEqual(topics);
    expect(set.get(2).topics()).toEqual(topics);
    expect(set.get(1).version()).toBe(1);
    const loser = topics.left === 1 ? set.get(2) : set.get(1);
    expect(loser.logs.some((l) => l.startsWith("Metadata version 1 here differed from the version 1 of the broker at"))).toBe(true);
    // And it stays settled: the next change is numbered 2 everywhere.
    expect(await create(set.get(2).node, "next", 1)).toBe("created");
    for (const n of set.nodes) expect(n.topics()).toEqual({ ...topics, next: 1 });
  });

  test("an older or equal snapshot is never installed; a malformed one is refused", async () => {
    set = await NodeSet.create(2);
    await set.startAll();
    await create(set.get(1).node, "x", 1);
    const two = set.get(2);
    const stale = JSON.parse(encodeMetadata(two.store.current)) as { version: number; topics: unknown[] };
    expect(await two.node.handleMetadataPush({ ...stale, topics: [] })).toEqual({ version: 1, installed: false });
    expect(await two.node.handleMetadataPush({ ...stale, version: 0, topics: [] })).toEqual({ version: 1, installed: false });
    expect(two.topics()).toEqual({ x: 1 });
    const bad = (await two.node.handleMetadataPush({ nope: true }).catch((e: unknown) => e)) as StreamNestError;
    expect(bad.code).toBe("INVALID_REQUEST");
  });

  test("a change sent to a broker that is not the controller is refused with NOT_CONTROLLER; a malformed one with 400", async () => {
    set = await NodeSet.create(2);
    await set.startAll();
    const error = (await set
      .get(2)
      .node.handleControllerChange({ change: createTopic("t", 1) })
      .catch((e: unknown) => e)) as StreamNestError;
    expect(error.code).toBe("NOT_CONTROLLER");
    expect(error.details).toEqual({ controller: 1 });
    expect(set.get(2).version()).toBe(0);
    for (const body of [{}, { change: { type: "drop-everything" } }, { change: { ...createTopic("t", 1), partitions: [] } }]) {
      const malformed = (await set.get(1).node.handleControllerChange(body).catch((e: unknown) => e)) as StreamNestError;
      expect(malformed.code).toBe("INVALID_REQUEST");
    }
    expect(set.get(1).version()).toBe(0);
  });
});
