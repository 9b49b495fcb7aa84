import { describe, expect, test } from "bun:test";
import { ArrivalQueue, type Queued } from "../../src/lib/arrival-queue.ts";

interface Item extends Queued {
  name: string;
}

const item = (name: string): Item => ({ name, slot: -1 });

/** The queue's items oldest first, taken out one by one (the queue is left empty). */
function drain(queue: ArrivalQueue<Item>): string[] {
  const out: string[] = [];
  for (let oldest = queue.oldest(); oldest !== undefined; oldest = queue.oldest()) {
    out.push(oldest.name);
    queue.remove(oldest);
  }
  return out;
}

describe("ArrivalQueue", () => {
  test("oldest first; pushed again, an item moves to the back; removed, it leaves no trace", () => {
    const q = new ArrivalQueue<Item>();
    const [a, b, c] = ["a", "b", "c"].map(item);
    q.push(a);
    q.push(b);
    q.push(c);
    q.push(a);
    expect([q.size, q.oldest()?.name]).toEqual([3, "b"]);
    expect(q.remove(b)).toBe(true);
    expect(q.remove(b)).toBe(false);
    expect([q.size, b.slot]).toEqual([2, -1]);
    expect(drain(q)).toEqual(["c", "a"]);
    expect([q.size, q.oldest()]).toEqual([0, undefined]);
  });

  test("an item of another queue is not taken out of this one", () => {
    const [q1, q2] = [new ArrivalQueue<Item>(), new ArrivalQueue<Item>()];
    const [a, b] = [item("a"), item("b")];
    q1.push(a);
    q2.push(b);
    // Both hold slot 0 of their own queue.
    expect(q1.remove(b)).toBe(false);
    expect([q1.size, q1.oldest()?.name, q2.size]).toEqual([1, "a", 1]);
  });

  test("through many arrivals, moves and removals (and the compactions they cause) the order is that of the last arrival", () => {
    const q = new ArrivalQueue<Item>();
    const items = Array.from({ length: 3000 }, (_, i) => item(`i${i}`));
    // Expected order: a plain list, moved and filtered the slow way.
    let order: Item[] = [];
    const push = (x: Item): void => {
      order = order.filter((y) => y !== x);
      order.push(x);
      q.push(x);
    };
    for (let round = 0; round < 3; round++)
      items.forEach((x, i) => {
        if ((i + round) % 5 === 0) push(x);
        if ((i * 7 + round) % 11 === 0) {
          order = order.filter((y) => y !== x);
          q.remove(x);
        }
        if (i % 3 === round) push(x);
      });
    expect(q.size).toBe(order.length);
    expect(drain(q)).toEqual(order.map((x) => x.name));
  });
});
