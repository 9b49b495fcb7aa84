export { deletePartitionLog, PartitionLog } from "./partition-log.ts";
export {
  type AppendResult,
  DEFAULT_LOG_OPTIONS,
  type FsyncMode,
  type HighWatermarkMode,
  type LogOptions,
  type RecordHeader,
  type ReadOptions,
  type RecordInput,
  type StoredRecord,
} from "./types.ts";
export type { EpochEndOffset, EpochEntry } from "./leader-epoch-cache.ts";
