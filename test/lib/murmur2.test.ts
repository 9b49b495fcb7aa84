import { describe, expect, test } from "bun:test";
import { Partitioners } from "kafkajs";
import { createRequire } from "node:module";
import { murmur2, partitionForKey } from "../../src/lib/murmur2.ts";

// kafkajs's own murmur2 (its port of the Java client's), for a direct hash comparison.
const kafkaMurmur2 = createRequire(import.meta.url)("kafkajs/src/producer/partitioners/default/murmur2.js") as (
  key: string,
) => number;

/**
 * Keyed produce must pick the partition Kafka's default partitioner picks, so the same
 * key lands on the same partition here and in Kafka. The reference is kafkajs's
 * DefaultPartitioner (Java-compatible murmur2, `& 0x7fffffff`, mod partition count).
 */

function keys(): string[] {
  const out: string[] = ["", "a", "ab", "abc", "abcd", "abcde", "key-1", "ключ", "鍵", "🔑 emoji", " ", "\u0000"];
  let seed = 12345;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  for (let i = 0; i < 5000; i++) {
    const length = random() % 40;
    let key = "";
    for (let j = 0; j < length; j++) {
      const r = random() % 100;
      // Mostly ASCII, some multi-byte characters to exercise the UTF-8 path.
      key += r < 85 ? String.fromCharCode(32 + (random() % 95)) : r < 95 ? String.fromCharCode(0x400 + (random() % 256)) : "😀";
    }
    out.push(key);
  }
  for (let i = 0; i < 1000; i++) out.push(`user-${i}`);
  return out;
}

describe("murmur2 / partitionForKey", () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const all = keys();

  test("the hash equals kafkajs's murmur2 over thousands of keys", () => {
    const encoder = new TextEncoder();
    let compared = 0;
    for (const key of all) {
      expect(murmur2(encoder.encode(key))).toBe(kafkaMurmur2(key));
      compared++;
    }
    expect(compared).toBe(all.length);
    expect(compared).toBeGreaterThan(6000);
  });

  for (const partitions of [1, 2, 3, 7, 12, 100, 10_000])
    test(`the partition equals kafkajs's DefaultPartitioner for ${partitions} partitions`, () => {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1 }));
      const seen = new Set<number>();
      for (const key of all) {
        const expected = partitioner({ topic: "t", partitionMetadata, message: { key, value: "v" } } as never);
        const actual = partitionForKey(key, partitions);
        if (actual !== expected) throw new Error(`key ${JSON.stringify(key)}: ours ${actual}, kafkajs ${expected}`);
        seen.add(actual);
      }
      // Keys spread: every partition is hit when there are far more keys than partitions.
      if (partitions <= 100) expect(seen.size).toBe(partitions);
    });

  test("known values of Kafka's Java murmur2", () => {
    // From Kafka's UtilsTest#testMurmur2.
    const encoder = new TextEncoder();
    expect(murmur2(encoder.encode("21"))).toBe(-973932308);
    expect(murmur2(encoder.encode("foobar"))).toBe(-790332482);
    expect(murmur2(encoder.encode("a-little-bit-long-string"))).toBe(-985981536);
    expect(murmur2(encoder.encode("a-little-bit-longer-string"))).toBe(-1486304829);
    expect(murmur2(encoder.encode("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"))).toBe(-58897971);
  });
});
