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
  if (topics.length === 0) return "there are no topics yet (create one with `streamnest topics create <name>`)";
  return `topics there are: ${topics.join(", ")}`;
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
