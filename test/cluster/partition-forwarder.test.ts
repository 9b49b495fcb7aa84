import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrokerRef } from "../../src/broker/metadata.ts";
import type { ProduceRecord } from "../../src/broker/types.ts";
import { ISR_WAIT_MS, PeerForwarder, partitionsName, produceFailure } from "../../src/cluster/partition-forwarder.ts";
import { DEFAULT_PEER_TIMEOUT_MS } from "../../src/cluster/peer-client.ts";
import { REPLICATION_LIMITS } from "../../src/config/replication.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { INTERNAL_ROUTES } from "../../src/lib/internal-routes.ts";
import { NodeSet } from "./helpers/serve-node.ts";

test("partitionsName names a few partitions per topic and counts the rest", () => {
  expect(partitionsName([{ topic: "a", partition: 1 }, { topic: "a", partition: 1 }])).toBe('partition 1 of topic "a"');
  expect(partitionsName([1, 4, 7].map((partition) => ({ topic: "a", partition })))).toBe('partitions 1, 4 and 7 of topic "a"');
  const many = Array.from({ length: 3333 }, (_, i) => ({ topic: "huge", partition: 1 + 3 * i }));
  expect(partitionsName(many)).toBe('partitions 1, 4, 7, 10, 13 and 3328 more of topic "huge"');
  const topics = ["t1", "t2", "t3", "t4", "t5"].map((topic) => ({ topic, partition: 0 }));
  expect(partitionsName(topics)).toBe(
    'partition 0 of topic "t1"; partition 0 of topic "t2"; partition 0 of topic "t3"; and partitions of 2 more topics',
  );
});

describe("PeerForwarder.produce waits for a leader that waits for its in-sync replicas", () => {
  let set: NodeSet;
  /** How long the leader (broker 2) holds each produce before answering. */
  let holdMs = 0;
  /** The answer broker 2 gives after holding. */
  let answer: () => Response = () => Response.json({ results: [{ outcomes: [{ offset: 7, partition: 0 }] }] });

  beforeAll(async () => {
    set = await NodeSet.create(2);
    set.get(2).local = async (req, path) => {
      await req.text();
      if (path !== INTERNAL_ROUTES.produce) return new Response("?", { status: 500 });
      await Bun.sleep(holdMs);
      return answer();
    };
    await set.startAll();
  });

  afterAll(() => set.stopAll());

  const leader = (): BrokerRef => ({ id: 2, address: set.get(2).address });
  const record = (): ProduceRecord => ({ key: null, value: new TextEncoder().encode("v"), headers: [], partition: 0 });

  test("an acks=all produce to a replicated partition gets the leader's acknowledgement, however long within the leader's ISR wait it comes", async () => {
    // Past what a forwarder once waited (the peer timeout plus 2.5 s: 4.5 s), well within
    // the leader's own wait for its ISR: the leader acknowledges, so must the forwarder.
    holdMs = 5_500;
    expect(holdMs).toBeLessThan(REPLICATION_LIMITS.produceAckTimeoutMs.value);
    const forwarder = new PeerForwarder(set.get(1).node.forwarder);
    expect(await forwarder.produce(leader(), "t", 0, [record()], true)).toEqual([{ offset: 7, partition: 0 }]);
  }, 20_000);

  test("a forwarder always waits longer than the leader waits for its ISR", () => {
    expect(DEFAULT_PEER_TIMEOUT_MS + ISR_WAIT_MS).toBeGreaterThan(REPLICATION_LIMITS.produceAckTimeoutMs.value);
  });

  test("a produce that needs no ISR wait times out at the peer timeout, as an unknown outcome said as documented", async () => {
    holdMs = set.get(1).node.client.timeoutMs + 1_000;
    const forwarder = new PeerForwarder(set.get(1).node.forwarder);
    const error = await forwarder.produce(leader(), "t", 0, [record()], false).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamNestError);
    const e = error as StreamNestError;
    expect(e.code).toBe("REQUEST_TIMED_OUT");
    expect(e.status).toBe(504);
    expect(e.message).toStartWith("the outcome is unknown: ");
    expect(e.message).toEndWith("; the leader may still write the message");
    expect(e.details).toMatchObject({ unknownOutcome: true, timedOut: true, leader: 2 });
  }, 20_000);
});

describe("produceFailure", () => {
  test("a connection refused (nothing sent) stays a clean LEADER_UNAVAILABLE", () => {
    const refused = new StreamNestError("LEADER_UNAVAILABLE", "broker 2 cannot be reached (ECONNREFUSED)", { leader: 2, broker: "x" });
    expect(produceFailure(refused, 1)).toBe(refused);
  });

  test("a connection broken after sending is an unknown outcome", () => {
    const broken = new StreamNestError("LEADER_UNAVAILABLE", "broker 2 cannot be reached (ECONNRESET)", { leader: 2, broker: "x", interrupted: true });
    const e = produceFailure(broken, 2) as StreamNestError;
    expect(e.code).toBe("REQUEST_TIMED_OUT");
    expect(e.message).toBe(
      "the outcome is unknown: broker 2 cannot be reached (ECONNRESET); the leader may have written the messages before the connection broke",
    );
    expect(e.details).toEqual({ leader: 2, broker: "x", interrupted: true, unknownOutcome: true });
  });
});
