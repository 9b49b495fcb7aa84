import { describe, expect, test } from "bun:test";
import type { BrokerRef } from "../../src/broker/metadata.ts";
import { StreamNestError } from "../../src/lib/errors.ts";
import { INTERNAL_ROUTES } from "../../src/lib/internal-routes.ts";
import { acceptsCall, assertSentBy, isJoinPath, isMember, type MemberView } from "../../src/cluster/sender-membership.ts";

function view(voters: number[] | null, registered: BrokerRef[] = [], configured: number[] = []): MemberView {
  return { voters: () => voters, registered: () => registered, configuredPeerIds: () => configured };
}

const JOINING = [INTERNAL_ROUTES.heartbeat, INTERNAL_ROUTES.quorum, INTERNAL_ROUTES.quorumHeartbeat, INTERNAL_ROUTES.quorumVoters];
const MEMBERS_ONLY = [
  INTERNAL_ROUTES.produce,
  INTERNAL_ROUTES.fetch,
  INTERNAL_ROUTES.tail,
  INTERNAL_ROUTES.offsets,
  INTERNAL_ROUTES.replicaFetch,
  INTERNAL_ROUTES.replicaRecords,
  INTERNAL_ROUTES.allOffsets,
  INTERNAL_ROUTES.stats,
  INTERNAL_ROUTES.groups,
  INTERNAL_ROUTES.quorumPropose,
  INTERNAL_ROUTES.quorumApplied,
];

describe("which broker ids a broker serves", () => {
  test("the calls a joining broker makes are open to any broker that authenticated; every other call is not", () => {
    expect(JOINING.map(isJoinPath)).toEqual([true, true, true, true]);
    expect(MEMBERS_ONLY.map(isJoinPath)).toEqual(MEMBERS_ONLY.map(() => false));
    expect(isJoinPath(`${INTERNAL_ROUTES.quorumVoters}?x=1`)).toBe(true);
    // Anything not exactly a join route is for members: other spellings, unknown routes.
    for (const path of ["/internal/quorum/", "/internal/quorum%2Fheartbeat", "/internal//quorum", "/internal/heartbeat/x", "/internal", "/internal/metadata"])
      expect([path, isJoinPath(path)]).toEqual([path, false]);
  });

  test("a member is a voter, or a broker the committed metadata registered (fenced too), or while the voters are unknown a configured peer", () => {
    const registered: BrokerRef[] = [
      { id: 4, address: "h:4", incarnation: 10, fenced: false },
      { id: 5, address: "h:5", incarnation: 11, fenced: true },
      // In the document without a registration (seeded from what heartbeats told): not registered.
      { id: 6, address: "h:6" },
    ];
    const formed = view([1, 2, 3], registered, [7]);
    expect([1, 2, 3, 4, 5, 6, 7, 9].filter((id) => isMember(formed, id))).toEqual([1, 2, 3, 4, 5]);
    const forming = view(null, registered, [2, 7]);
    expect([1, 2, 3, 4, 5, 6, 7, 9].filter((id) => isMember(forming, id))).toEqual([2, 4, 5, 7]);
  });

  test("a non-member is refused every call but those of joining", () => {
    const formed = view([1, 2, 3], [{ id: 4, address: "h:4", incarnation: 1, fenced: false }], [9]);
    for (const path of JOINING) expect([path, acceptsCall(formed, 9, path)]).toEqual([path, true]);
    for (const path of MEMBERS_ONLY) {
      expect([path, acceptsCall(formed, 9, `${path}?topic=t`)]).toEqual([path, false]);
      expect([path, acceptsCall(formed, 2, path), acceptsCall(formed, 4, path)]).toEqual([path, true, true]);
    }
  });

  test("a body speaks for the broker that signed it only", () => {
    expect(() => assertSentBy(3, 3, "a heartbeat")).not.toThrow();
    // Made in process (no signature): nothing to compare.
    expect(() => assertSentBy(null, 3, "a heartbeat")).not.toThrow();
    let refusal: unknown;
    try {
      assertSentBy(9, 1, "a broker registration");
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(StreamNestError);
    expect([(refusal as StreamNestError).code, (refusal as StreamNestError).message]).toEqual([
      "UNAUTHORIZED",
      "a broker registration names broker 1 but was signed by broker 9",
    ]);
  });
});
