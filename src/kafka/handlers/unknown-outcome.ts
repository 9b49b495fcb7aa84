import { StreamNestError } from "../../lib/errors.ts";

/**
 * A topic change the metadata quorum could not confirm within its write timeout comes
 * back REQUEST_TIMED_OUT, "may or may not have been made": under load a hundred changes
 * at once (librdkafka's 0045 deletes a hundred topics in one request) outlast it while
 * the quorum is still committing them. Kafka's CreateTopics and DeleteTopics wait up to
 * the request's timeout_ms for the change to complete (protocol guide, "timeout_ms: how
 * long to wait"), so these do too: they watch this broker's metadata until the change
 * shows, and answer success if it does before the client's time runs out.
 *
 * Resolves true when `error` is such an unknown outcome and `shows()` became true by
 * `deadline` (epoch ms); false otherwise (the caller answers the error).
 */
export async function changeShowedAfterTimeout(error: unknown, shows: () => boolean, deadline: number, pollMs = 100): Promise<boolean> {
  if (!(error instanceof StreamNestError) || error.code !== "REQUEST_TIMED_OUT") return false;
  for (;;) {
    if (shows()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await Bun.sleep(Math.min(pollMs, left));
  }
}
