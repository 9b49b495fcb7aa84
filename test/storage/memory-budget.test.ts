import { describe, expect, test } from "bun:test";
import { MemoryBudget } from "../../src/storage/memory-budget.ts";

interface Item {
  name: string;
  bytes: number;
}

/** A budget whose evictions remove the item, as a cache's owner does, and are recorded. */
function budgetOf(limit: number): { budget: MemoryBudget<Item>; evicted: string[] } {
  const evicted: string[] = [];
  const budget: MemoryBudget<Item> = new MemoryBudget<Item>(limit, (oldest) => {
    evicted.push(oldest.name);
    budget.remove(oldest);
  });
  return { budget, evicted };
}

describe("MemoryBudget", () => {
  test("over the limit, the least recently used items go first, until it fits", () => {
    const { budget, evicted } = budgetOf(100);
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => ({ name, bytes: 30 }));
    budget.add(a);
    budget.add(b);
    budget.add(c);
    budget.touch(a);
    expect([budget.used, evicted]).toEqual([90, []]);
    budget.add(d);
    expect([budget.used, evicted]).toEqual([90, ["b"]]);
    budget.add({ name: "e", bytes: 70 });
    expect([budget.used, evicted]).toEqual([100, ["b", "c", "a"]]);
  });

  test("an item larger than the limit goes at once; removing an item twice, or touching a removed one, counts nothing", () => {
    const { budget, evicted } = budgetOf(50);
    const small = { name: "small", bytes: 10 };
    budget.add(small);
    budget.add({ name: "huge", bytes: 80 });
    expect([budget.used, evicted]).toEqual([0, ["small", "huge"]]);
    const x = { name: "x", bytes: 20 };
    budget.add(x);
    budget.remove(x);
    budget.remove(x);
    budget.touch(x);
    expect(budget.used).toBe(0);
    budget.add({ name: "y", bytes: 50 });
    expect([budget.used, evicted]).toEqual([50, ["small", "huge"]]);
  });
});
