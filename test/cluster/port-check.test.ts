import { afterEach, describe, expect, test } from "bun:test";
import { describePortProblem, portProblem, portProblems } from "../../src/cluster/port-check.ts";
import { freePortRange } from "../helpers/port-range.ts";

const holders: Array<{ stop: (closeActive?: boolean) => void }> = [];
afterEach(() => {
  for (const holder of holders.splice(0)) holder.stop(true);
});

function hold(hostname: string, port: number): void {
  holders.push(Bun.listen({ hostname, port, socket: { data() {} } }));
}

describe("port checks", () => {
  test("a free port has no problem, and checking it leaves it free", () => {
    const port = freePortRange(1);
    expect(portProblem(port)).toBeUndefined();
    expect(portProblem(port)).toBeUndefined();
    hold("0.0.0.0", port);
  });

  test.each(["127.0.0.1", "0.0.0.0", "localhost"])("a port held on %s is in use for a broker on every interface", (address) => {
    const port = freePortRange(1);
    hold(address, port);
    const problem = portProblem(port);
    expect(problem?.port).toBe(port);
    expect(problem?.reason).toBe("in-use");
    expect(describePortProblem(problem ?? { port, reason: "in-use", address })).toBe(
      `port ${port} is already in use by another process`,
    );
  });

  test("a port held on loopback is in use for a broker on a specific host too (peers dial localhost)", () => {
    const port = freePortRange(1);
    hold("127.0.0.1", port);
    expect(portProblem(port, "127.0.0.1")?.reason).toBe("in-use");
  });

  test("every taken port of a range is reported, in order", () => {
    const base = freePortRange(4);
    hold("127.0.0.1", base + 3);
    hold("127.0.0.1", base + 1);
    expect(portProblems([base, base + 1, base + 2, base + 3]).map((p) => p.port)).toEqual([base + 1, base + 3]);
  });
});
