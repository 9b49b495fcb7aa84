import { BytePool } from "../lib/byte-pool.ts";

/**
 * The Kafka listener's large buffers (see BytePool), each given back by whoever took it
 * once nothing reads it: request frames of 64 KiB and more (Produce), once their handler
 * says nothing holds a view of them; a produced batch's frames, once the log has written
 * them and its tail cache did not keep them; the file bytes under a Fetch's records and
 * the Fetch answer, once the answer holds them and once the socket has written it.
 * 32 MiB of free buffers at most: about 16 of librdkafka's default 1 MB batches.
 */
export const KAFKA_BUFFERS = new BytePool(64 * 1024, 32 * 1024 * 1024);

/**
 * The buffers one read took from KAFKA_BUFFERS, given back together once its frames have
 * been written into the answer. Only these: a read's frames may also lie in memory the
 * log keeps (a tail cache chunk laid out in a pooled frame batch), which must never go
 * back to the pool while the log holds it.
 */
export class ReadMemory {
  private readonly taken: Uint8Array[] = [];

  readonly take = (length: number): Uint8Array => {
    const bytes = KAFKA_BUFFERS.take(length);
    this.taken.push(bytes);
    return bytes;
  };

  giveBack(): void {
    for (const bytes of this.taken) KAFKA_BUFFERS.give(bytes);
    this.taken.length = 0;
  }
}
