import { describe, expect, test } from "bun:test";
import { NonceReplayCache } from "../../src/auth/nonce-replay-cache.ts";

describe("nonce replay cache", () => {
  test("a nonce is fresh once, then replayed for 2 windows, then forgotten", () => {
    const cache = new NonceReplayCache(1000, 10);
    expect(cache.record("a", 0)).toBe("fresh");
    expect(cache.record("a", 1)).toBe("replayed");
    expect(cache.record("a", 2000)).toBe("replayed"); // a timestamp of 1000 is still fresh at 2000
    expect(cache.record("b", 2001)).toBe("fresh");
    expect(cache.size).toBe(1); // "a" pruned
    expect(cache.record("a", 2002)).toBe("fresh");
  });

  test("at capacity new nonces are refused, not admitted by forgetting live ones", () => {
    const cache = new NonceReplayCache(1000, 2);
    expect(cache.record("a", 0)).toBe("fresh");
    expect(cache.record("b", 0)).toBe("fresh");
    expect(cache.record("c", 0)).toBe("full");
    expect(cache.record("a", 0)).toBe("replayed");
    expect(cache.record("c", 2001)).toBe("fresh");
    expect(cache.size).toBe(1);
  });

  test("through many windows (the pruned front dropped again and again) a live nonce is still a replay and an expired one is forgotten", () => {
    const cache = new NonceReplayCache(100, 1_000_000);
    // One nonce a millisecond for 10 s: each lives 200 ms.
    for (let t = 0; t < 10_000; t++) expect(cache.record(`n${t}`, t)).toBe("fresh");
    expect(cache.size).toBe(201);
    expect(cache.record("n9999", 10_000)).toBe("replayed");
    expect(cache.record("n9800", 10_000)).toBe("replayed");
    expect(cache.record("n9799", 10_000)).toBe("fresh");
    expect(cache.record("n5000", 10_000)).toBe("fresh");
  });
});
