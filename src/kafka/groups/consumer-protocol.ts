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
 * give undefined: the view then shows no topics rather than guessed ones. The encoders
 * write version 0 (no user data), for a group whose members joined over HTTP, described
 * to Kafka's tools (DescribeGroups) as their own members would be.
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

/** Kafka's ConsumerProtocolSubscription v0 of `topics` (user data null). */
export function encodeSubscription(topics: readonly string[]): Uint8Array {
  const names = topics.map((t) => Buffer.from(t, "utf8"));
  const out = Buffer.alloc(2 + 4 + names.reduce((n, b) => n + 2 + b.length, 0) + 4);
  let at = out.writeInt16BE(0, 0);
  at = out.writeInt32BE(names.length, at);
  for (const name of names) {
    at = out.writeInt16BE(name.length, at);
    at += name.copy(out, at);
  }
  out.writeInt32BE(-1, at);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Kafka's ConsumerProtocolAssignment v0 of `partitions`, grouped by topic in first-seen order (user data null). */
export function encodeAssignment(partitions: readonly TopicPartition[]): Uint8Array {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const topics = [...byTopic].map(([topic, list]) => ({ name: Buffer.from(topic, "utf8"), list }));
  const out = Buffer.alloc(2 + 4 + topics.reduce((n, t) => n + 2 + t.name.length + 4 + 4 * t.list.length, 0) + 4);
  let at = out.writeInt16BE(0, 0);
  at = out.writeInt32BE(topics.length, at);
  for (const t of topics) {
    at = out.writeInt16BE(t.name.length, at);
    at += t.name.copy(out, at);
    at = out.writeInt32BE(t.list.length, at);
    for (const partition of t.list) at = out.writeInt32BE(partition, at);
  }
  out.writeInt32BE(-1, at);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
