import type { BrokerProcess } from "./broker-harness.ts";
import { get } from "./cluster-http.ts";

/** A replicated topic's partition as /metadata shows it. */
export interface ReplicatedPartition {
  partition: number;
  leader: number;
  broker: string;
  replicas: number[];
  isr: number[];
  leader_epoch: number;
}

export interface ReplicatedTopic {
  partitions: ReplicatedPartition[];
  replication_factor: number;
  min_insync_replicas: number;
}

/** The topic's entry in `via`'s /metadata. */
export async function replicatedTopic(via: BrokerProcess, topic: string): Promise<ReplicatedTopic> {
  const answer = await get<{ topic_partitions: Record<string, ReplicatedTopic> }>(via, "/metadata");
  if (answer.status !== 200) throw new Error(`/metadata answered ${answer.status}`);
  const entry = answer.body.topic_partitions[topic];
  if (!entry) throw new Error(`topic ${topic} not in /metadata`);
  return entry;
}

export interface ReadRecord {
  offset: number;
  key: string | null;
  message: string;
}

/** Every record of a partition from `offset` on, as `via` reads it (forwarded to the leader), up to `max`. */
export async function readAll(via: BrokerProcess, topic: string, partition: number, max = 1000): Promise<ReadRecord[]> {
  // A 503 LEADER_UNAVAILABLE says "retry" (a forwarded read can meet brokers whose
  // metadata disagree for a moment, just after a leader change): a client retries it,
  // so this does too, for a bounded time; any other answer fails at once.
  const until = Date.now() + 15_000;
  for (;;) {
    const answer = await get<{ records: ReadRecord[]; error?: string }>(via, `/topics/${topic}/partitions/${partition}/records?offset=0&max=${max}`);
    if (answer.status === 200) return answer.body.records.map((r) => ({ offset: r.offset, key: r.key, message: r.message }));
    if (answer.status !== 503 || answer.body.error !== "LEADER_UNAVAILABLE" || Date.now() > until)
      throw new Error(`records answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    await Bun.sleep(200);
  }
}
