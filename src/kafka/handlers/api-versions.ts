import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { KAFKA_ERROR, supportedApiVersions } from "../protocol/index.ts";

/** ApiVersions: every API StreamNest declares, with its version range (transactions are not among them). */
export async function handleApiVersions(_ctx: KafkaContext, _call: Call<"ApiVersions">) {
  return { errorCode: KAFKA_ERROR.NONE, apiKeys: supportedApiVersions(), throttleTimeMs: 0 };
}
