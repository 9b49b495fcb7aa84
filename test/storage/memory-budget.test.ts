import { describe, expect, test } from "bun:test";
import { type BudgetItem, MemoryBudget } from "../../src/storage/memory-budget.ts";

interface Item extends BudgetItem {
  name: string;
}

const item = (name: string, bytes: number): Item => ({ name, bytes, touched: false, slot: -1 });

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
  test("over the limit, items go in order of insertion, until it fits; one used since gets a second chance", () => {
    const { budget, evicted } = budgetOf(100);
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => item(name, 30));
    budget.add(a);
    budget.add(b);
    budget.add(c);
    budget.touch(a);
    expect([budget.used, evicted]).toEqual([90, []]);
    // a was used: passed over, to the back; b goes.
    budget.add(d);
    expect([budget.used, evicted]).toEqual([90, ["b"]]);
    // In line now: c, d, a. None used since: c and d go, a (second chance spent) stays.
    budget.add(item("e", 70));
    expect([budget.used, evicted]).toEqual([100, ["b", "c", "d"]]);
    // Used again, a is passed over again (now behind f); e goes, then f.
    budget.touch(a);
    budget.add(item("f", 40));
    expect([budget.used, evicted]).toEqual([70, ["b", "c", "d", "e"]]);
    budget.add(item("g", 40));
    expect([budget.used, evicted]).toEqual([70, ["b", "c", "d", "e", "f"]]);
    // Untouched since its last chance, a goes first.
    budget.add(item("h", 40));
    expect([budget.used, evicted]).toEqual([80, ["b", "c", "d", "e", "f", "a"]]);
  });

  test("an item larger than the limit goes when its turn comes; the used ones before it are passed over and stay", () => {
    const { budget, evicted } = budgetOf(60);
    const [a, b] = ["a", "b"].map((name) => item(name, 30));
    budget.add(a);
    budget.add(b);
    budget.touch(a);
    budget.touch(b);
    budget.add(item("huge", 100));
    expect([budget.used, evicted]).toEqual([60, ["huge"]]);
  });

  test("an item larger than the limit goes at once; removing an item twice, or touching a removed one, counts nothing", () => {
    const { budget, evicted } = budgetOf(50);
    const small = item("small", 10);
    budget.add(small);
    budget.add(item("huge", 80));
    expect([budget.used, evicted]).toEqual([0, ["small", "huge"]]);
    const x = item("x", 20);
    budget.add(x);
    budget.remove(x);
    budget.remove(x);
    budget.touch(x);
    expect(budget.used).toBe(0);
    budget.add(item("y", 50));
    expect([budget.used, evicted]).toEqual([50, ["small", "huge"]]);
  });

  test("through many evictions and removals (and the compactions they cause) items still go oldest first, and the bytes add up", () => {
    const { budget, evicted } = budgetOf(1000);
    const live = new Map<string, Item>();
    const expected: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const x = item(`i${i}`, 10);
      budget.add(x);
      live.set(x.name, x);
      // Every third item is removed by its owner before its turn (a truncation, a dropped index).
      if (i % 3 === 2) {
        budget.remove(x);
        live.delete(x.name);
      }
    }
    for (const name of evicted) live.delete(name);
    for (let i = 0; i < 20_000; i++) if (i % 3 !== 2) expected.push(`i${i}`);
    // 100 items of 10 bytes fit: the last 100 kept are held, every one before went in order.
    expect(evicted).toEqual(expected.slice(0, expected.length - 100));
    expect([...live.keys()]).toEqual(expected.slice(expected.length - 100));
    expect(budget.used).toBe(1000);
    // A second chance still works after the compactions: the oldest, touched, stays.
    const oldest = live.get(expected[expected.length - 100])!;
    budget.touch(oldest);
    budget.add(item("next", 10));
    expect(evicted.at(-1)).toBe(expected[expected.length - 99]);
    expect(oldest.slot).toBeGreaterThanOrEqual(0);
  });

  test("an item added again while held is counted once", () => {
    const { budget, evicted } = budgetOf(100);
    const a = item("a", 40);
    budget.add(a);
    budget.add(a);
    expect([budget.used, evicted]).toEqual([40, []]);
    budget.remove(a);
    expect([budget.used, a.slot]).toEqual([0, -1]);
  });
});
