import type { BrokerProcess } from "../../test/helpers/broker-harness.ts";
import { CLIENT_TIMEOUT_MS } from "./cluster.ts";
import type { ProduceAttempt, RunRead } from "./history.ts";
import { outcomeOfAnswer, outcomeOfError } from "./produce-outcome.ts";
import type { SeededRandom } from "./random.ts";

/**
 * The clients of a chaos run: producers writing unique values with acks=all, each
 * attempt through a broker picked at random (any broker forwards to the leader), every
 * attempt logged with its outcome, and a write retried (same value, same partition,
 * linked by retryOf) after a failed or unknown attempt, as a Kafka producer retries;
 * and one consumer per partition reading from random brokers all along, every record
 * it sees logged (the checker holds every read to the final log).
 */

export interface WorkloadOptions {
  topic: string;
  partitions: number;
  producers: number;
  seed: number;
  /** Milliseconds since the run started: every time in the history is on this clock. */
  clock: () => number;
  /** Attempts per logical write before it is given up. */
  maxAttempts?: number;
}

export class Workload {
  readonly attempts: ProduceAttempt[] = [];
  readonly reads: RunRead[] = [];
  private stopped = false;
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly brokers: readonly BrokerProcess[],
    private readonly random: SeededRandom,
    private readonly options: WorkloadOptions,
  ) {}

  start(): void {
    for (let w = 0; w < this.options.producers; w++) this.running.push(this.produceLoop(w, this.random.fork(100 + w)));
    for (let p = 0; p < this.options.partitions; p++) this.running.push(this.consumeLoop(p, this.random.fork(200 + p)));
  }

  /** Stops starting new writes and reads; resolves once every one in flight has its outcome. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  private async produceLoop(worker: number, random: SeededRandom): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 6;
    for (let n = 0; !this.stopped; n++) {
      const value = `s${this.options.seed}-w${worker}-${n}`;
      const partition = random.int(0, this.options.partitions - 1);
      let previous: string | undefined;
      for (let attempt = 0; attempt < maxAttempts && !this.stopped; attempt++) {
        const id = `w${worker}-${n}-${attempt}`;
        const record = await this.produceOnce(id, value, partition, random.pick(this.brokers), previous);
        this.attempts.push(record);
        if (record.outcome.type === "ok") break;
        previous = id;
        await Bun.sleep(random.int(50, 300));
      }
    }
  }

  private async produceOnce(id: string, value: string, partition: number, broker: BrokerProcess, retryOf: string | undefined): Promise<ProduceAttempt> {
    const { topic, clock } = this.options;
    const startedAt = clock();
    const base = { id, value, topic, partition, broker: String(broker.id), startedAt, ...(retryOf === undefined ? {} : { retryOf }) };
    try {
      const res = await fetch(`${broker.url}/produce`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ topic, message: value, partition, acks: "all" }),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: judged by its status
      }
      return { ...base, endedAt: clock(), outcome: outcomeOfAnswer(res.status, body, partition) };
    } catch (error) {
      return { ...base, endedAt: clock(), outcome: outcomeOfError(error) };
    }
  }

  private async consumeLoop(partition: number, random: SeededRandom): Promise<void> {
    const { topic, clock } = this.options;
    let offset = 0;
    while (!this.stopped) {
      const broker = random.pick(this.brokers);
      try {
        const res = await fetch(`${broker.url}/topics/${topic}/partitions/${partition}/records?offset=${offset}&max=500&timeout_ms=500`, {
          signal: AbortSignal.timeout(5_000),
        });
        if (res.status !== 200) {
          await res.body?.cancel();
          await Bun.sleep(200);
          continue;
        }
        const body = (await res.json()) as { records: Array<{ offset: number; message: string }>; next_offset: number };
        const at = clock();
        for (const r of body.records) this.reads.push({ topic, partition, offset: r.offset, value: r.message, at, broker: String(broker.id) });
        offset = Math.max(offset, body.next_offset);
      } catch {
        await Bun.sleep(200);
      }
    }
  }
}
