import { BytePool } from "../lib/byte-pool.ts";

/**
 * The Kafka listener's large buffers (see BytePool): request frames of 64 KiB and more
 * (Produce), given back once their handler says nothing holds a view of them, and Fetch
 * answers, given back once the socket has written them. 32 MiB of free buffers at most:
 * about 16 requests in flight of librdkafka's default 1 MB batches.
 */
export const KAFKA_BUFFERS = new BytePool(64 * 1024, 32 * 1024 * 1024);
