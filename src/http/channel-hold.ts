import { REPLICATION_LIMITS } from "../config/replication.ts";

/**
 * How a replication channel's sender paces answers to a follower that reads slowly
 * (catching up over a slow link): an answer goes now while the socket's unsent bytes are
 * below channelBufferBytes, else it waits, in order, until the socket drains. Bun drops
 * or closes past a socket's backpressure limit; held here, nothing is dropped, and the
 * follower's pace is that of its reading, as an HTTP answer's is. Used by the leader's
 * end (replica-channel.ts) and by a worker thread relaying the channel to it
 * (workers/channel-relay.ts).
 */

/** What this needs of a socket: Bun's ServerWebSocket. */
interface Buffered {
  getBufferedAmount(): number;
}

/** Bun's own bound on a socket's unsent bytes: channelBufferBytes plus the largest answer, with room to spare. */
export const CHANNEL_BACKSTOP_BYTES = REPLICATION_LIMITS.channelBufferBytes.value + 4 * REPLICATION_LIMITS.fetchMaxBytes.value;

/** Writes `item` now, or holds it behind those already held (see above). */
export function sendOrHold<T>(socket: Buffered, held: T[], item: T, write: (item: T) => void): void {
  if (held.length > 0 || socket.getBufferedAmount() >= REPLICATION_LIMITS.channelBufferBytes.value) held.push(item);
  else write(item);
}

/** The socket wrote out what it held (Bun's drain): held items go, oldest first, as far as the bound allows. */
export function releaseHeld<T>(socket: Buffered, held: T[], write: (item: T) => void): void {
  while (held.length > 0 && socket.getBufferedAmount() < REPLICATION_LIMITS.channelBufferBytes.value) write(held.shift() as T);
}
