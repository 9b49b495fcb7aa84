import type { TopicPartition } from "../../broker/groups.ts";

/**
 * The "consumer" protocol's member metadata and assignment bytes, which a Kafka group
 * coordinator stores without reading (the clients assign), read here only to show a Kafka
 * group's subscriptions and assignments in the HTTP view (GET /groups/:group). Layout
 * (Kafka's ConsumerProtocolSubscription / ConsumerProtocolAssignment, every version):
 *   Subscription: int16 version, [string topic], bytes user_data, …
 *   Assignment:   int16 version, [string topic, [int32 partition]], bytes user_data, …
 * with int16-length strings and int32-length arrays. Later versions only append fields.
 * Bytes that do not read as that layout (another protocol type, a client's own format)
 * give undefined: the view then shows no topics rather than guessed ones.
 */

class Reader {
  private at = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (n < 0 || this.at + n > this.bytes.length) throw new RangeError("past the end");
  }

  int16(): number {
    this.need(2);
    const v = this.view.getInt16(this.at);
    this.at += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.at);
    this.at += 4;
    return v;
  }

  string(): string {
    const length = this.int16();
    this.need(length);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }

  /** An array's count, checked against the bytes left (each element takes at least `minBytes`). */
  count(minBytes: number): number {
    const n = this.int32();
    this.need(n * minBytes);
    return n;
  }
}

/** The topics of a consumer's subscription metadata; undefined when the bytes are not one. */
export function subscribedTopics(metadata: Uint8Array): string[] | undefined {
  try {
    const r = new Reader(metadata);
    if (r.int16() < 0) return undefined;
    const topics: string[] = [];
    for (let i = r.count(2); i > 0; i--) topics.push(r.string());
    return topics;
  } catch {
    return undefined;
  }
}

/** The partitions of a consumer's assignment; undefined when the bytes are not one (empty bytes: none yet). */
export function assignedPartitions(assignment: Uint8Array): TopicPartition[] | undefined {
  if (assignment.length === 0) return [];
  try {
    const r = new Reader(assignment);
    if (r.int16() < 0) return undefined;
    const out: TopicPartition[] = [];
    for (let i = r.count(6); i > 0; i--) {
      const topic = r.string();
      for (let j = r.count(4); j > 0; j--) out.push({ topic, partition: r.int32() });
    }
    return out;
  } catch {
    return undefined;
  }
}
