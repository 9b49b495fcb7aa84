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
});
