export { deletePartitionLog, PartitionLog } from "./partition-log.ts";
export {
  type AppendResult,
  DEFAULT_LOG_OPTIONS,
  type FsyncMode,
  type LogOptions,
  type RecordHeader,
  type RecordInput,
  type StoredRecord,
} from "./types.ts";
