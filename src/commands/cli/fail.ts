import { StreamNestError } from "../../lib/errors.ts";
import { exit, log } from "./output.ts";

/** A problem with what the user typed on the command line (or in the dialogue). */
export function usageError(message: string): StreamNestError {
  return new StreamNestError("INVALID_REQUEST", message);
}

/**
 * One line that says what went wrong, never a stack trace: the broker's own message
 * for its refusals, and the topics there are when the one asked for does not exist.
 */
export function describeError(error: unknown): string {
  if (error instanceof StreamNestError) {
    if (error.code === "TOPIC_NOT_FOUND") return `${error.message}; ${topicsThere(error.details)}`;
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

function topicsThere(details: unknown): string {
  const topics =
    typeof details === "object" && details !== null && "topics" in details && Array.isArray(details.topics)
      ? details.topics.map(String)
      : undefined;
  if (!topics) return "list them with `streamnest topics list`";
  const filtered = typeof details === "object" && details !== null && "filtered" in details && details.filtered === true;
  if (filtered) return topics.length === 0 ? "this token may see no topic" : `topics this token may see: ${topics.join(", ")}`;
  if (topics.length === 0) return "there are no topics yet (create one with `streamnest topics create <name>`)";
  return `topics there are: ${topics.join(", ")}`;
}

/**
 * True when the error shows a write was surely not stored: refused, no broker took
 * the connection, or the leader could not be reached. A timeout or a connection that
 * broke after sending leaves it unknown.
 */
export function surelyNotStored(error: unknown): boolean {
  if (!(error instanceof StreamNestError)) return false;
  if (error.status < 500) return true;
  if (error.code !== "LEADER_UNAVAILABLE") return false;
  const details = error.details as { mayHaveArrived?: unknown; timedOut?: unknown; interrupted?: unknown } | undefined;
  return details?.mayHaveArrived !== true && details?.timedOut !== true && details?.interrupted !== true;
}

/** Logs the error in one line and exits 1. */
export async function fail(error: unknown): Promise<never> {
  log.error(describeError(error));
  return exit(1);
}

/** Runs a command body; whatever it throws ends the program with one clear line. */
export async function guarded(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    await fail(error);
  }
}
