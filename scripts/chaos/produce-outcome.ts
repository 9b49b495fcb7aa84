import type { ProduceOutcome } from "./history.ts";

/**
 * How the harness reads a produce answer, as Jepsen's clients do: `ok` only for an
 * answer with an offset; `failed` only when the broker (or the connection) proves
 * nothing was written; `unknown` for everything else, so that the checker never takes
 * a write that may have happened for one that did not. A product that answers a clean
 * failure for a write it did make shows up as a `failed-write-present` violation.
 */

/** Refusals made before anything is appended (Kafka's NOT_ENOUGH_REPLICAS, a leader not found). */
const CLEAN_REFUSALS = new Set(["NOT_ENOUGH_REPLICAS", "LEADER_UNAVAILABLE", "NOT_LEADER_OR_FOLLOWER", "NOT_CONTROLLER"]);

export function outcomeOfAnswer(status: number, body: unknown, partition: number): ProduceOutcome {
  const b = (typeof body === "object" && body !== null ? body : {}) as {
    offset?: unknown;
    partition?: unknown;
    error?: unknown;
    message?: unknown;
    details?: unknown;
  };
  if (status === 200) {
    if (typeof b.offset === "number" && b.partition === partition) return { type: "ok", partition, offset: b.offset };
    return { type: "unknown", error: `200 without an offset for partition ${partition}: ${JSON.stringify(body)}` };
  }
  const code = typeof b.error === "string" ? b.error : `HTTP ${status}`;
  const message = typeof b.message === "string" ? b.message : "";
  const error = `${code}: ${message}`.slice(0, 300);
  // 4xx: the request itself was refused; DESIGN.md: bad input never changes anything on disk.
  if (status >= 400 && status < 500 && code !== "FENCED_LEADER_EPOCH" && code !== "STALE_BROKER_EPOCH") return { type: "failed", error };
  if (CLEAN_REFUSALS.has(code) && !saysUnknown(message, b.details)) return { type: "failed", error };
  return { type: "unknown", error };
}

/** A forwarded call that timed out or broke once sent says the leader may still write (cluster/partition-forwarder.ts). */
function saysUnknown(message: string, details: unknown): boolean {
  if (/outcome is unknown|may still write|may have written/i.test(message)) return true;
  if (typeof details !== "object" || details === null) return false;
  const d = details as { timedOut?: unknown; interrupted?: unknown; unknownOutcome?: unknown };
  return d.timedOut === true || d.interrupted === true || d.unknownOutcome === true;
}

/** No answer: refused before sending (nothing can have arrived) or lost after (anything may have). */
export function outcomeOfError(error: unknown): ProduceOutcome {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ConnectionRefused" || code === "ECONNREFUSED" || /Unable to connect|ECONNREFUSED|Connection refused/i.test(text))
    return { type: "failed", error: `connection refused: ${text}`.slice(0, 300) };
  return { type: "unknown", error: text.slice(0, 300) };
}
