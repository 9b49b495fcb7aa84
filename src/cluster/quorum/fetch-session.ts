/**
 * A follower's (or observer's) side of the fetch loop: one request in flight at a time,
 * sent again when unanswered for the request timeout, and a snapshot download assembled
 * chunk by chunk (KIP-630's FetchSnapshot).
 */
import type { NodeId, SnapshotId } from "./types.ts";

export interface InFlight {
  readonly correlationId: number;
  readonly to: NodeId;
  readonly sentAt: number;
}

export class FetchSession {
  inFlight: InFlight | null = null;
  nextFetchAt: number;
  /** Last time the leader answered (-Infinity before it has): only real contact makes
   * this node name the leader to others or refuse pre-votes for it. */
  lastContactMs: number;
  /** When this session began: the fetch timeout runs from here or the last contact. */
  readonly startedMs: number;
  download: { id: SnapshotId; position: number; chunks: Uint8Array[] } | null = null;

  constructor(now: number) {
    this.nextFetchAt = now;
    this.startedMs = now;
    this.lastContactMs = -Infinity;
  }

  fetchTimeoutAt(fetchTimeoutMs: number): number {
    return Math.max(this.lastContactMs, this.startedMs) + fetchTimeoutMs;
  }

  /** `retryMs`: how long an unanswered request is waited for before it is sent again. */
  due(now: number, retryMs: number): boolean {
    return this.inFlight ? now >= this.inFlight.sentAt + retryMs : now >= this.nextFetchAt;
  }

  dueAt(retryMs: number): number {
    return this.inFlight ? this.inFlight.sentAt + retryMs : this.nextFetchAt;
  }

  /** When the request whose answer was accepted last was sent. */
  acceptedSentAt = -Infinity;

  /** Takes the answer to the request in flight; false for a late or duplicated one. */
  accept(correlationId: number): boolean {
    if (!this.inFlight || this.inFlight.correlationId !== correlationId) return false;
    this.acceptedSentAt = this.inFlight.sentAt;
    this.inFlight = null;
    return true;
  }

  addChunk(id: SnapshotId, position: number, bytes: Uint8Array, size: number): Uint8Array | null {
    const d = this.download;
    if (!d || d.id.endOffset !== id.endOffset || d.id.epoch !== id.epoch || d.position !== position) return null;
    d.chunks.push(bytes);
    d.position += bytes.length;
    if (d.position < size) return null;
    const whole = new Uint8Array(d.position);
    let at = 0;
    for (const chunk of d.chunks) {
      whole.set(chunk, at);
      at += chunk.length;
    }
    this.download = null;
    return whole;
  }
}
