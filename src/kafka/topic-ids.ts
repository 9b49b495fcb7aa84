import { createHash } from "node:crypto";

/**
 * A topic's id for Metadata v10+ (KIP-516): derived from its name and creation time, so
 * every broker names the same incarnation alike and a re-created topic gets a new id.
 */
export function topicIdOf(topic: string, createdAt: number): string {
  const h = createHash("sha256").update(`${topic}\u0000${createdAt}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
