/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils#murmur2), seed 0x9747b28c, so a
 * key lands on the same partition as with Kafka's default partitioner:
 * `toPositive(murmur2(keyBytes)) % numPartitions`.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length4 * 4;
  // The Java original falls through its switch on length % 4.
  const rest = length % 4;
  if (rest >= 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const encoder = new TextEncoder();

/**
 * The partition Kafka's default partitioner picks for a key (a string is taken as its
 * UTF-8 bytes): `toPositive(murmur2(key)) % partitions`. The one place of the formula.
 */
export function partitionForKey(key: string | Uint8Array, partitions: number): number {
  return (murmur2(typeof key === "string" ? encoder.encode(key) : key) & 0x7fffffff) % partitions;
}
