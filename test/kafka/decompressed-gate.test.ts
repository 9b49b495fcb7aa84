import { describe, expect, test } from "bun:test";
import { DecompressedGate } from "../../src/kafka/decompressed-gate.ts";

/** The bound on decompressed Produce bytes held across connections: who is let in, when, in what order. */

/** Lets pending promise continuations run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("DecompressedGate", () => {
  test("under the bound each enters at once; at it, the next waits until bytes are given back, and they enter in arrival order", async () => {
    const gate = new DecompressedGate(100);
    const first = await gate.enter();
    first.hold(60);
    const second = await gate.enter();
    second.hold(50);
    expect(gate.heldBytes).toBe(110);
    const order: string[] = [];
    const third = gate.enter().then((t) => (order.push("third"), t));
    const fourth = gate.enter().then((t) => (order.push("fourth"), t));
    await settle();
    expect([order, gate.waiters]).toEqual([[], 2]);
    first.release();
    await settle();
    // 50 held: the third is let in, and the fourth waits until the third has counted its bytes.
    expect([order, gate.waiters]).toEqual([["third"], 1]);
    (await third).hold(70);
    await settle();
    expect([order, gate.heldBytes]).toEqual([["third"], 120]);
    second.release();
    (await third).release();
    await settle();
    expect(order).toEqual(["third", "fourth"]);
    (await fourth).release();
    expect([gate.heldBytes, gate.waiters]).toEqual([0, 0]);
  });

  test("a ticket let in that fails before holding anything lets the next in when released", async () => {
    const gate = new DecompressedGate(10);
    const full = await gate.enter();
    full.hold(10);
    const failing = gate.enter();
    const after = gate.enter();
    full.release();
    (await failing).release();
    const ticket = await after;
    ticket.hold(3);
    expect(gate.heldBytes).toBe(3);
    ticket.release();
    ticket.release();
    expect(gate.heldBytes).toBe(0);
  });

  test("one let in that has not yet counted its bytes holds the others back, even under the bound", async () => {
    const gate = new DecompressedGate(1000);
    const a = await gate.enter();
    let entered = false;
    const b = gate.enter().then((t) => ((entered = true), t));
    await settle();
    expect(entered).toBe(false);
    a.hold(1);
    await settle();
    expect(entered).toBe(true);
    a.release();
    (await b).release();
    expect(gate.heldBytes).toBe(0);
  });
});
