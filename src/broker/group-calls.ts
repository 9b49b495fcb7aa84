import type { BrokerRef } from "./metadata.ts";
import type { CommitParams, JoinParams } from "../groups/types.ts";
import { StreamNestError } from "../lib/errors.ts";

/**
 * Consumer-group calls between brokers. A group's coordinator is the leader of its
 * `__consumer_offsets` partition; a broker that is not it sends the call to the
 * coordinator as a `GroupCall` through the peer transport, and the coordinator runs it
 * locally and never forwards it again, so a disagreement about leaders cannot loop.
 */

export type GroupCall =
  | { op: "join"; group: string; request: JoinParams }
  | { op: "heartbeat"; group: string; memberId: string; generation: number }
  | { op: "leave"; group: string; memberId: string }
  | { op: "commit"; group: string; request: CommitParams }
  | { op: "offsets"; group: string; topic?: string }
  | { op: "delete-offsets"; group: string; topics?: string[] }
  | { op: "describe"; group: string }
  /** The groups this broker coordinates. */
  | { op: "list" };

export const GROUP_CALL_OPS = [
  "join",
  "heartbeat",
  "leave",
  "commit",
  "offsets",
  "delete-offsets",
  "describe",
  "list",
] as const satisfies ReadonlyArray<GroupCall["op"]>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the shape of a call that arrived from another broker; INVALID_REQUEST if it is not one. */
export function parseGroupCall(value: unknown): GroupCall {
  const bad = (why: string): StreamNestError => new StreamNestError("INVALID_REQUEST", `not a group call: ${why}`);
  if (!isObject(value)) throw bad("not an object");
  const op = value.op;
  if (typeof op !== "string" || !(GROUP_CALL_OPS as readonly string[]).includes(op)) throw bad(`unknown op ${JSON.stringify(op)}`);
  if (op === "list") return { op };
  if (typeof value.group !== "string") throw bad("group must be a string");
  const group = value.group;
  const optionalString = (v: unknown, name: string): string | undefined => {
    if (v !== undefined && typeof v !== "string") throw bad(`${name} must be a string`);
    return v;
  };
  switch (op) {
    case "join": {
      const r = value.request;
      if (!isObject(r) || !Array.isArray(r.topics) || !r.topics.every((x) => typeof x === "string")) throw bad("request.topics must be strings");
      for (const name of ["sessionTimeoutMs", "rebalanceTimeoutMs", "waitMs"] as const)
        if (r[name] !== undefined && typeof r[name] !== "number") throw bad(`request.${name} must be a number`);
      for (const name of ["memberId", "clientId", "assignor", "autoOffsetReset"] as const) optionalString(r[name], `request.${name}`);
      return { op, group, request: r as unknown as JoinParams };
    }
    case "heartbeat":
    case "leave": {
      if (typeof value.memberId !== "string") throw bad("memberId must be a string");
      if (op === "leave") return { op, group, memberId: value.memberId };
      if (typeof value.generation !== "number") throw bad("generation must be a number");
      return { op, group, memberId: value.memberId, generation: value.generation };
    }
    case "commit": {
      const r = value.request;
      if (!isObject(r) || !Array.isArray(r.offsets) || !r.offsets.every(isObject)) throw bad("request.offsets must be objects");
      for (const o of r.offsets)
        if (typeof o.topic !== "string" || typeof o.partition !== "number" || typeof o.offset !== "number")
          throw bad("each offset needs topic, partition and offset");
      optionalString(r.memberId, "request.memberId");
      if (r.generation !== undefined && typeof r.generation !== "number") throw bad("request.generation must be a number");
      return { op, group, request: r as unknown as CommitParams };
    }
    case "offsets":
      return { op, group, topic: optionalString(value.topic, "topic") };
    case "delete-offsets": {
      const topics = value.topics;
      if (topics !== undefined && (!Array.isArray(topics) || !topics.every((x) => typeof x === "string"))) throw bad("topics must be strings");
      return { op, group, topics: topics as string[] | undefined };
    }
    default:
      return { op: "describe", group };
  }
}
