import { describe, expect, test } from "bun:test";
import { ASSIGNOR_NAMES, assignorByName, DEFAULT_ASSIGNOR, isAssignorName } from "../../src/groups/assignors.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

describe("assignor registry", () => {
  test("names Kafka's two classic strategies, range by default", () => {
    expect(ASSIGNOR_NAMES).toEqual(["range", "roundrobin"]);
    expect(DEFAULT_ASSIGNOR).toBe("range");
    expect(isAssignorName("roundrobin")).toBe(true);
    expect(isAssignorName("sticky")).toBe(false);
    expect(isAssignorName("toString")).toBe(false);
  });

  test("every assignor gives every partition to exactly one subscribed member", () => {
    for (const name of ASSIGNOR_NAMES) {
      const members = [
        { memberId: "a", topics: ["t1", "t2"] },
        { memberId: "b", topics: ["t2"] },
        { memberId: "c", topics: ["t1", "t2", "t3"] },
      ];
      const out = assignorByName(name)(members, new Map([["t1", 5], ["t2", 4], ["t3", 3]]));
      const owners = new Map<string, string>();
      for (const [member, list] of out)
        for (const { topic, partition } of list) {
          const key = `${topic}-${partition}`;
          expect(owners.has(key)).toBe(false);
          owners.set(key, member);
          expect(members.find((m) => m.memberId === member)!.topics).toContain(topic);
        }
      expect(owners.size).toBe(12);
    }
  });

  test("an unknown name is a clear INVALID_REQUEST", () => {
    let caught: unknown;
    try {
      assignorByName("sticky");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StreamNestError);
    expect((caught as StreamNestError).code).toBe("INVALID_REQUEST");
    expect((caught as StreamNestError).message).toBe('unknown assignor "sticky"; use one of: range, roundrobin');
  });
});
