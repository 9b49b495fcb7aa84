import { afterEach, describe, expect, test } from "bun:test";
import type { BrokerRef, MetadataChange } from "../../src/broker/metadata.ts";
import { applyChange, emptyMetadata, type MetadataDocument } from "../../src/broker/metadata.ts";
import { BrokerLiveness } from "../../src/cluster/broker-liveness.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const running: BrokerLiveness[] = [];
afterEach(() => {
  for (const l of running.splice(0)) l.stop();
});

/** A leader's liveness over a document that commits every change at once. */
function leader(sessionTimeoutMs: number, leadingSince: () => number | null = () => Date.now() - 10 * sessionTimeoutMs) {
  let doc: MetadataDocument = emptyMetadata();
  const committed: MetadataChange[] = [];
  const liveness = new BrokerLiveness({
    self: { id: 1, address: "h:1", incarnation: 10 },
    sessionTimeoutMs,
    intervalMs: 20,
    registered: (): readonly BrokerRef[] => doc.brokers,
    leadingSince,
    commit: async (change) => {
      committed.push(change);
      doc = applyChange(doc, change).document;
    },
    sendHeartbeat: async (beat) => liveness.receive(beat),
  });
  running.push(liveness);
  return { liveness, committed, doc: () => doc };
}

describe("BrokerLiveness", () => {
  test("a heartbeat from a new broker registers it once", async () => {
    const { liveness, committed, doc } = leader(10_000);
    expect(liveness.receive({ id: 2, address: "h:2", incarnation: 5 })).toEqual({ registered: false });
    await Bun.sleep(0);
    expect(liveness.receive({ id: 2, address: "h:2", incarnation: 5 })).toEqual({ registered: true });
    expect(committed).toEqual([{ type: "register-broker", broker: { id: 2, address: "h:2", incarnation: 5 } }]);
    expect(doc().brokers).toEqual([{ id: 2, address: "h:2", incarnation: 5, fenced: false }]);
  });

  test("a broker silent for the session timeout is fenced; the leader itself never", async () => {
    const { liveness, committed, doc } = leader(150);
    liveness.start();
    liveness.receive({ id: 2, address: "h:2", incarnation: 5 });
    await Bun.sleep(400);
    expect(committed).toContainEqual({ type: "fence-broker", id: 2, incarnation: 5 });
    expect(doc().brokers.find((b) => b.id === 2)!.fenced).toBe(true);
    expect(doc().brokers.find((b) => b.id === 1)!.fenced).toBe(false);
  });

  test("a leader fences nobody during its first session timeout", async () => {
    const since = Date.now();
    const { liveness, committed } = leader(300, () => since);
    liveness.receive({ id: 2, address: "h:2", incarnation: 5 });
    liveness.start();
    await Bun.sleep(150);
    expect(committed.filter((c) => c.type === "fence-broker")).toEqual([]);
  });

  test("an earlier incarnation than the registered one is refused", async () => {
    const { liveness } = leader(10_000);
    liveness.receive({ id: 2, address: "h:2", incarnation: 9 });
    await Bun.sleep(0);
    let caught: unknown;
    try {
      liveness.receive({ id: 2, address: "h:2", incarnation: 8 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamNestError);
    expect((caught as StreamNestError).code).toBe("STALE_BROKER_EPOCH");
  });
});
