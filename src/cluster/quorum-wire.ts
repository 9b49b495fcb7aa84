/**
 * The quorum's nine messages on the broker-to-broker transport: JSON, with byte fields
 * (entry payloads, snapshot chunks) in base64. Metadata traffic is small (a create is a
 * few hundred bytes), so JSON's cost does not matter here and its errors are readable.
 * A received batch is checked field by field before it reaches the core: a malformed
 * one is refused with INVALID_REQUEST and changes nothing.
 */
import { StreamNestError } from "../lib/errors.ts";
import type { FetchError, QuorumMessage } from "./quorum/messages.ts";
import type { Entry, SnapshotId } from "./quorum/types.ts";

const TYPES = new Set<QuorumMessage["type"]>([
  "vote-request",
  "vote-response",
  "begin-epoch-request",
  "begin-epoch-response",
  "end-epoch-request",
  "fetch-request",
  "fetch-response",
  "fetch-snapshot-request",
  "fetch-snapshot-response",
]);
const FETCH_ERRORS = new Set<string>(["NONE", "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH", "NOT_LEADER", "SNAPSHOT_NOT_FOUND"]);

export function encodeQuorumMessages(messages: readonly QuorumMessage[]): string {
  return JSON.stringify({
    messages: messages.map((m) => {
      if (m.type === "fetch-response") return { ...m, entries: m.entries.map((e) => ({ ...e, payload: base64(e.payload) })) };
      if (m.type === "fetch-snapshot-response") return { ...m, bytes: base64(m.bytes) };
      return m;
    }),
  });
}

export function decodeQuorumMessages(body: unknown): QuorumMessage[] {
  const root = record(body, "body");
  if (!Array.isArray(root.messages)) throw invalid("expected {\"messages\": […]}");
  return root.messages.map((value, i) => decodeMessage(value, i));
}

function decodeMessage(value: unknown, index: number): QuorumMessage {
  const m = record(value, `messages[${index}]`);
  const type = m.type as QuorumMessage["type"];
  if (!TYPES.has(type)) throw invalid(`messages[${index}] has unknown type ${JSON.stringify(m.type)}`);
  const base = { type, from: int(m.from, "from"), to: int(m.to, "to"), correlationId: int(m.correlationId, "correlationId"), epoch: int(m.epoch, "epoch") };
  switch (type) {
    case "vote-request":
      return {
        ...base,
        type,
        candidateDirectoryId: str(m.candidateDirectoryId, "candidateDirectoryId"),
        voterDirectoryId: m.voterDirectoryId === null ? null : str(m.voterDirectoryId, "voterDirectoryId"),
        lastEpoch: int(m.lastEpoch, "lastEpoch"),
        lastOffset: int(m.lastOffset, "lastOffset"),
        preVote: bool(m.preVote, "preVote"),
      };
    case "vote-response":
      return {
        ...base,
        type,
        leaderId: intOrNull(m.leaderId, "leaderId"),
        granted: bool(m.granted, "granted"),
        preVote: bool(m.preVote, "preVote"),
        voterDirectoryId: str(m.voterDirectoryId, "voterDirectoryId"),
      };
    case "begin-epoch-request":
      return { ...base, type, leaderId: int(m.leaderId, "leaderId") };
    case "begin-epoch-response":
      return { ...base, type, leaderId: intOrNull(m.leaderId, "leaderId") };
    case "end-epoch-request": {
      if (!Array.isArray(m.preferredSuccessors)) throw invalid("end-epoch-request needs preferredSuccessors");
      return { ...base, type, leaderId: int(m.leaderId, "leaderId"), preferredSuccessors: m.preferredSuccessors.map((s) => int(s, "preferredSuccessors")) };
    }
    case "fetch-request":
      return {
        ...base,
        type,
        replicaDirectoryId: str(m.replicaDirectoryId, "replicaDirectoryId"),
        fetchOffset: int(m.fetchOffset, "fetchOffset"),
        lastFetchedEpoch: int(m.lastFetchedEpoch, "lastFetchedEpoch"),
      };
    case "fetch-response": {
      if (!Array.isArray(m.entries)) throw invalid("fetch-response needs entries");
      const diverging = m.divergingEpoch === null ? null : record(m.divergingEpoch, "divergingEpoch");
      return {
        ...base,
        type,
        error: fetchError(m.error) as FetchError,
        leaderId: intOrNull(m.leaderId, "leaderId"),
        highWatermark: highWatermark(m.highWatermark),
        entries: m.entries.map(entry),
        divergingEpoch: diverging === null ? null : { epoch: int(diverging.epoch, "divergingEpoch.epoch"), endOffset: int(diverging.endOffset, "divergingEpoch.endOffset") },
        snapshotId: m.snapshotId === null ? null : snapshotId(m.snapshotId),
      };
    }
    case "fetch-snapshot-request":
      return {
        ...base,
        type,
        replicaDirectoryId: str(m.replicaDirectoryId, "replicaDirectoryId"),
        snapshotId: snapshotId(m.snapshotId),
        position: int(m.position, "position"),
      };
    case "fetch-snapshot-response":
      return {
        ...base,
        type,
        error: fetchError(m.error) as FetchError | "SNAPSHOT_NOT_FOUND",
        leaderId: intOrNull(m.leaderId, "leaderId"),
        snapshotId: snapshotId(m.snapshotId),
        position: int(m.position, "position"),
        size: int(m.size, "size"),
        bytes: bytes(m.bytes, "bytes"),
      };
  }
}

function entry(value: unknown, index: number): Entry {
  const e = record(value, `entries[${index}]`);
  if (e.kind !== "data" && e.kind !== "leader-change") throw invalid(`entries[${index}] has an unknown kind`);
  return { offset: int(e.offset, "offset"), epoch: int(e.epoch, "epoch"), kind: e.kind, payload: bytes(e.payload, "payload") };
}

function snapshotId(value: unknown): SnapshotId {
  const s = record(value, "snapshotId");
  return { endOffset: int(s.endOffset, "snapshotId.endOffset"), epoch: int(s.epoch, "snapshotId.epoch") };
}

function fetchError(value: unknown): string {
  if (typeof value !== "string" || !FETCH_ERRORS.has(value)) throw invalid(`unknown fetch error ${JSON.stringify(value)}`);
  return value;
}

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

function bytes(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string") throw invalid(`${what} must be base64 text`);
  return new Uint8Array(Buffer.from(value, "base64"));
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function int(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw invalid(`${what} must be an integer ≥ 0`);
  return value;
}

/** A fetch refusal (NOT_LEADER, …) knows no high watermark and says -1, as Kafka's FetchResponse does. */
function highWatermark(value: unknown): number {
  if (value === -1) return -1;
  return int(value, "highWatermark (or -1 with an error)");
}

function intOrNull(value: unknown, what: string): number | null {
  return value === null ? null : int(value, what);
}

function str(value: unknown, what: string): string {
  if (typeof value !== "string") throw invalid(`${what} must be text`);
  return value;
}

function bool(value: unknown, what: string): boolean {
  if (typeof value !== "boolean") throw invalid(`${what} must be true or false`);
  return value;
}

function invalid(message: string): StreamNestError {
  return new StreamNestError("INVALID_REQUEST", `malformed quorum message: ${message}`);
}
