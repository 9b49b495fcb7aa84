import { type ErrorCode, StreamNestError } from "../lib/errors.ts";
import { KAFKA_ERROR, kafkaErrorOf, type KafkaErrorName } from "./protocol/index.ts";

/**
 * The one place a StreamNestError becomes a Kafka error code. A codec error names its
 * Kafka error in its details; every other error maps by its code. Codes with no Kafka
 * counterpart become UNKNOWN_SERVER_ERROR (-1), which clients treat as not retriable.
 */
const BY_CODE: Partial<Record<ErrorCode, KafkaErrorName>> = {
  INVALID_REQUEST: "INVALID_REQUEST",
  INVALID_TOPIC_NAME: "INVALID_TOPIC_EXCEPTION",
  INVALID_PARTITIONS: "INVALID_PARTITIONS",
  INVALID_OFFSET: "OFFSET_OUT_OF_RANGE",
  SCHEMA_VIOLATION: "INVALID_RECORD",
  PARTITION_OUT_OF_RANGE: "UNKNOWN_TOPIC_OR_PARTITION",
  OFFSET_OUT_OF_RANGE: "OFFSET_OUT_OF_RANGE",
  TOPIC_NOT_FOUND: "UNKNOWN_TOPIC_OR_PARTITION",
  GROUP_NOT_FOUND: "GROUP_ID_NOT_FOUND",
  UNKNOWN_MEMBER_ID: "UNKNOWN_MEMBER_ID",
  ILLEGAL_GENERATION: "ILLEGAL_GENERATION",
  REBALANCE_IN_PROGRESS: "REBALANCE_IN_PROGRESS",
  NON_EMPTY_GROUP: "NON_EMPTY_GROUP",
  TOPIC_EXISTS: "TOPIC_ALREADY_EXISTS",
  MESSAGE_TOO_LARGE: "MESSAGE_TOO_LARGE",
  BODY_TOO_LARGE: "RECORD_LIST_TOO_LARGE",
  CORRUPT_RECORD: "CORRUPT_MESSAGE",
  LEADER_UNAVAILABLE: "LEADER_NOT_AVAILABLE",
  NOT_LEADER_OR_FOLLOWER: "NOT_LEADER_OR_FOLLOWER",
  FENCED_LEADER_EPOCH: "FENCED_LEADER_EPOCH",
  NOT_CONTROLLER: "NOT_CONTROLLER",
  NOT_COORDINATOR: "NOT_COORDINATOR",
  REQUEST_TIMED_OUT: "REQUEST_TIMED_OUT",
  NOT_ENOUGH_REPLICAS: "NOT_ENOUGH_REPLICAS",
  STORAGE_FULL: "KAFKA_STORAGE_ERROR",
  STORAGE_ERROR: "KAFKA_STORAGE_ERROR",
};

export function kafkaErrorName(error: unknown): KafkaErrorName {
  const named = kafkaErrorOf(error);
  if (named !== undefined) return named;
  const mapped = error instanceof StreamNestError ? BY_CODE[error.code] : undefined;
  if (mapped !== undefined) return mapped;
  reportUnknown(error);
  return "UNKNOWN_SERVER_ERROR";
}

/**
 * Where an error that became UNKNOWN_SERVER_ERROR is told (the adapter's log): clients
 * treat -1 as fatal and show nothing of its cause, so the broker's log is the only place
 * an operator can learn it (a tester's SyncGroup answers were -1 with an empty log).
 * Each distinct message once a minute, so a failing loop cannot flood the log.
 */
let unknownReporter: ((message: string) => void) | undefined;
const reportedAt = new Map<string, number>();
const REPORT_EVERY_MS = 60_000;

export function reportUnknownErrorsTo(report: ((message: string) => void) | undefined): void {
  unknownReporter = report;
}

function reportUnknown(error: unknown): void {
  if (unknownReporter === undefined) return;
  const text = error instanceof StreamNestError ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
  const now = Date.now();
  if (now - (reportedAt.get(text) ?? -Infinity) < REPORT_EVERY_MS) return;
  if (reportedAt.size >= 1000) reportedAt.clear();
  reportedAt.set(text, now);
  unknownReporter(`kafka: answered UNKNOWN_SERVER_ERROR for ${text}`);
}

export function kafkaErrorCode(error: unknown): number {
  return KAFKA_ERROR[kafkaErrorName(error)];
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
