import { describe, expect, test } from "bun:test";
import { noPeerTransport, singleBrokerDirectory } from "../../src/broker/peer-transport.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

const leader = { id: 2, address: "b2:8080" };

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StreamNestError) return error.toJSON();
    throw error;
  }
  return "no error";
}

describe("singleBrokerDirectory", () => {
  test("knows itself only", () => {
    const self = { id: 1, address: "localhost:1" };
    const directory = singleBrokerDirectory(self);
    expect(directory.self).toBe(self);
    expect(directory.brokers()).toEqual([self]);
  });
});

describe("noPeerTransport (a broker without cluster support)", () => {
  test("a partition call for another broker is LEADER_UNAVAILABLE naming it", async () => {
    const expected = {
      error: "LEADER_UNAVAILABLE",
      message: 'partition 3 of topic "t" is led by broker 2 at b2:8080, which this broker cannot reach',
      details: { leader: 2, address: "b2:8080" },
    };
    expect(await refusal(noPeerTransport.produce(leader, "t", 3, []))).toEqual(expected);
    expect(await refusal(noPeerTransport.fetch(leader, { topic: "t", partition: 3, offset: 0 }))).toEqual(expected);
    expect(await refusal(noPeerTransport.tail(leader, { topic: "t", partition: 3, signal: new AbortController().signal }))).toEqual(expected);
  });

  test("no ranges from elsewhere; a group call for another coordinator is NOT_COORDINATOR", async () => {
    expect(await noPeerTransport.partitionRanges(leader, "t")).toEqual([]);
    expect(await refusal(noPeerTransport.group(leader, { op: "list" }, 0))).toEqual({
      error: "NOT_COORDINATOR",
      message: "the coordinator is broker 2 at b2:8080, and this broker has no cluster connection to reach it",
      details: { coordinator: 2, address: "b2:8080" },
    });
  });
});
