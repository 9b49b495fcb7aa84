import { StreamNestError, type ErrorCode } from "../../lib/errors.ts";

/**
 * The Kafka protocol's numeric error codes that the codec and the handlers answer with
 * (Kafka protocol guide, "Error Codes"). Only the ones StreamNest can produce are listed;
 * the adapter maps a StreamNestError to one of them in one place.
 */
export const KAFKA_ERROR = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  INVALID_TIMESTAMP: 32,
  FENCED_INSTANCE_ID: 82,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  SASL_AUTHENTICATION_FAILED: 58,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  POLICY_VIOLATION: 44,
  KAFKA_STORAGE_ERROR: 56,
  UNKNOWN_PRODUCER_ID: 59,
  UNKNOWN_TOPIC_ID: 100,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  MEMBER_ID_REQUIRED: 79,
  INVALID_RECORD: 87,
  UNKNOWN_SERVER_ERROR: -1,
} as const;

export type KafkaErrorName = keyof typeof KAFKA_ERROR;

/** What the codec attaches to a StreamNestError so the adapter can answer in Kafka's terms. */
export interface ProtocolErrorDetails {
  kafkaError: KafkaErrorName;
  kafkaErrorCode: number;
}

/**
 * A codec failure: a StreamNestError (the project's one error type) whose details name
 * the Kafka error the protocol defines for it.
 */
export function protocolError(
  code: ErrorCode,
  kafkaError: KafkaErrorName,
  message: string,
): StreamNestError {
  const details: ProtocolErrorDetails = { kafkaError, kafkaErrorCode: KAFKA_ERROR[kafkaError] };
  return new StreamNestError(code, message, details);
}

/** The Kafka error named in a codec error's details, if it carries one. */
export function kafkaErrorOf(error: unknown): KafkaErrorName | undefined {
  if (!(error instanceof StreamNestError)) return undefined;
  const details = error.details as Partial<ProtocolErrorDetails> | undefined;
  return details?.kafkaError;
}
