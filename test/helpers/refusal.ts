import { StreamNestError } from "../../src/lib/errors.ts";

/** The StreamNestError `fn` throws; any other outcome fails the test. */
export function refusal(fn: () => unknown): StreamNestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof StreamNestError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}
