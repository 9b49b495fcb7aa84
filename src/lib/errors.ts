/**
 * The one error type of StreamNest. Every failure a caller can see carries one of a
 * closed set of codes; each code knows its HTTP status and whether retrying can help,
 * so transports (HTTP today, the Kafka protocol later) map errors in one place.
 */
export const ERROR_CODES = {
  INVALID_REQUEST: { status: 400, retriable: false },
  INVALID_TOPIC_NAME: { status: 400, retriable: false },
  INVALID_PARTITIONS: { status: 400, retriable: false },
  INVALID_OFFSET: { status: 400, retriable: false },
  INVALID_SCHEMA: { status: 400, retriable: false },
  SCHEMA_VIOLATION: { status: 400, retriable: false },
  PARTITION_OUT_OF_RANGE: { status: 400, retriable: false },
  OFFSET_OUT_OF_RANGE: { status: 400, retriable: false },
  UNAUTHORIZED: { status: 401, retriable: false },
  NOT_FOUND: { status: 404, retriable: false },
  TOPIC_NOT_FOUND: { status: 404, retriable: false },
  SCHEMA_NOT_FOUND: { status: 404, retriable: false },
  GROUP_NOT_FOUND: { status: 404, retriable: false },
  METHOD_NOT_ALLOWED: { status: 405, retriable: false },
  UNKNOWN_MEMBER_ID: { status: 400, retriable: false },
  ILLEGAL_GENERATION: { status: 409, retriable: false },
  REBALANCE_IN_PROGRESS: { status: 409, retriable: true },
  NON_EMPTY_GROUP: { status: 409, retriable: false },
  TOPIC_EXISTS: { status: 409, retriable: false },
  MESSAGE_TOO_LARGE: { status: 413, retriable: false },
  BODY_TOO_LARGE: { status: 413, retriable: false },
  // A body in an encoding the broker does not read (Content-Encoding: gzip): RFC 9110 §15.5.16.
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false },
  CORRUPT_RECORD: { status: 500, retriable: false },
  STORAGE_ERROR: { status: 500, retriable: false },
  // The disk (or quota) is full: nothing was written, and the same call succeeds once
  // space is freed (RFC 4918's 507 Insufficient Storage).
  STORAGE_FULL: { status: 507, retriable: true },
  INTERNAL_ERROR: { status: 500, retriable: true },
  LEADER_UNAVAILABLE: { status: 503, retriable: true },
  // This broker does not lead the partition (Kafka's NOT_LEADER_OR_FOLLOWER): the client
  // refreshes its metadata and asks the leader named in the details.
  NOT_LEADER_OR_FOLLOWER: { status: 503, retriable: true },
  NOT_CONTROLLER: { status: 503, retriable: true },
  // acks=all refused before appending: the ISR is smaller than min.insync.replicas (Kafka's NOT_ENOUGH_REPLICAS).
  NOT_ENOUGH_REPLICAS: { status: 503, retriable: true },
  // A leader epoch or partition epoch that another has replaced (KIP-101/KIP-497): refresh metadata and retry.
  FENCED_LEADER_EPOCH: { status: 409, retriable: true },
  NOT_COORDINATOR: { status: 503, retriable: true },
  REQUEST_TIMED_OUT: { status: 504, retriable: true },
  // A request from a broker incarnation the metadata quorum has since replaced (Kafka's STALE_BROKER_EPOCH).
  STALE_BROKER_EPOCH: { status: 409, retriable: false },
  // Security (src/auth): a known principal lacking a permission (Kafka's *_AUTHORIZATION_FAILED).
  FORBIDDEN: { status: 403, retriable: false },
  // SASL (RFC 4422) exchange failed: one message for unknown user and wrong password alike.
  SASL_AUTHENTICATION_FAILED: { status: 401, retriable: false },
  UNSUPPORTED_SASL_MECHANISM: { status: 400, retriable: false },
  ILLEGAL_SASL_STATE: { status: 400, retriable: false },
  USER_NOT_FOUND: { status: 404, retriable: false },
  USER_EXISTS: { status: 409, retriable: false },
} as const satisfies Record<string, { status: number; retriable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class StreamNestError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "StreamNestError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get retriable(): boolean {
    return ERROR_CODES[this.code].retriable;
  }

  toJSON(): { error: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
