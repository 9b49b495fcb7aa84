/**
 * A response body given as parts to send back to back (a replica fetch's answer: its
 * head, then frames held in the leader's memory, cluster/replication/fetch-wire.ts).
 * A small one is joined (a copy of a few kB costs less than a stream); a large one is
 * written part by part from where it lies, not joined into a new buffer first (fresh
 * pages per answer: ~40% of the server's CPU for a 520 kB answer, see fetch-wire.ts).
 * The parts must not change afterwards.
 */

/** Parts up to this many bytes in all are joined into one buffer. */
export const JOIN_BELOW_BYTES = 64 * 1024;

export function partsBody(parts: readonly Uint8Array[]): Uint8Array | ReadableStream<Uint8Array> {
  if (parts.length === 1) return parts[0];
  let total = 0;
  for (const part of parts) total += part.byteLength;
  if (total <= JOIN_BELOW_BYTES) return Buffer.concat(parts);
  // Bun's "direct" stream writes each part to the socket as it is (no queue of copies).
  const source = {
    type: "direct",
    pull(controller: { write(chunk: Uint8Array): unknown; close(): unknown }): void {
      for (const part of parts) if (part.byteLength > 0) controller.write(part);
      controller.close();
    },
  };
  return new ReadableStream(source as unknown as ConstructorParameters<typeof ReadableStream<Uint8Array>>[0]);
}
