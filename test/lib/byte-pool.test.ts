import { describe, expect, test } from "bun:test";
import { BytePool } from "../../src/lib/byte-pool.ts";

describe("BytePool", () => {
  test("a buffer given back serves the next take that fits, in the same memory", () => {
    const pool = new BytePool(1024, 1 << 20);
    const a = pool.take(3000);
    expect(a.length).toBe(3000);
    a[0] = 7;
    pool.give(a);
    expect(pool.freeBytes).toBe(4096);
    const b = pool.take(4000);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(4000);
    expect(pool.freeBytes).toBe(0);
    // Too large for the free one: new memory.
    pool.give(b);
    const c = pool.take(5000);
    expect(c.buffer).not.toBe(a.buffer);
    expect(c.buffer.byteLength).toBe(8192);
  });

  test("the smallest free buffer that holds the bytes is taken", () => {
    const pool = new BytePool(1024, 1 << 20);
    const big = pool.take(60_000);
    const small = pool.take(2000);
    pool.give(big);
    pool.give(small);
    expect(pool.take(1500).buffer).toBe(small.buffer);
    expect(pool.take(1500).buffer).toBe(big.buffer);
  });

  test("small takes are not pooled; a foreign buffer, or one given twice, is not taken back", () => {
    const pool = new BytePool(1024, 1 << 20);
    const small = pool.take(100);
    expect(small.length).toBe(100);
    pool.give(small);
    pool.give(new Uint8Array(4096));
    expect(pool.freeBytes).toBe(0);
    const a = pool.take(2048);
    pool.give(a);
    pool.give(a);
    expect(pool.freeBytes).toBe(2048);
    // Only once handed out again: the second taker gets other memory.
    expect(pool.take(2048).buffer).toBe(a.buffer);
    expect(pool.take(2048).buffer).not.toBe(a.buffer);
  });

  test("free buffers beyond the limit are left to the collector", () => {
    const pool = new BytePool(1024, 8192);
    const taken = [pool.take(4096), pool.take(4096), pool.take(4096)];
    for (const t of taken) pool.give(t);
    expect(pool.freeBytes).toBe(8192);
  });
});
