import { createRequire } from "node:module";

/**
 * kafkajs's record batch v2 encoder and decoder (a devDependency), the independent
 * reference for StreamNest's. Their shapes are described here since kafkajs ships no
 * types for these internals.
 */
const require = createRequire(import.meta.url);

export interface KafkajsMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer>;
  offsetDelta: number;
  timestampDelta: number;
}

interface Encoded {
  buffer: Buffer;
}

type RecordFn = (m: KafkajsMessage) => unknown;
type RecordBatchFn = (args: {
  compression: number;
  records: unknown[];
  firstOffset: string;
  firstTimestamp: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  transactional: boolean;
}) => Promise<Encoded>;

export interface KafkajsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}

const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as RecordFn;
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js") as { RecordBatch: RecordBatchFn };
const decodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder.js") as (d: unknown) => Promise<{
  records: KafkajsDecodedRecord[];
  firstOffset: string;
  producerId: string;
}>;
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (b: Buffer) => unknown;

export async function kafkajsBatch(args: {
  compression: number;
  messages: KafkajsMessage[];
  baseOffset: string;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
}): Promise<Uint8Array> {
  const batch = await RecordBatch({
    compression: args.compression,
    records: args.messages.map(Record),
    firstOffset: args.baseOffset,
    firstTimestamp: args.firstTimestamp,
    maxTimestamp: args.maxTimestamp,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: args.messages.length - 1,
    producerId: args.producerId,
    producerEpoch: args.producerEpoch,
    firstSequence: args.firstSequence,
    transactional: false,
  });
  return new Uint8Array(batch.buffer);
}

export async function kafkajsDecodeBatch(bytes: Uint8Array): Promise<KafkajsDecodedRecord[]> {
  return (await decodeBatch(new Decoder(Buffer.from(bytes)))).records;
}
