import { KAFKA_LIMITS } from "../config/kafka.ts";
import { KAFKA_BUFFERS } from "./buffer-pool.ts";
import type { ConnectionInfo, KafkaContext, RequestSignals } from "./context.ts";
import { errorMessage, kafkaErrorName } from "./error-map.ts";
import { handleApiVersions } from "./handlers/api-versions.ts";
import { handleAlterConfigs, handleIncrementalAlterConfigs } from "./handlers/alter-configs.ts";
import { handleCreatePartitions } from "./handlers/create-partitions.ts";
import { handleCreateTopics } from "./handlers/create-topics.ts";
import { handleDeleteTopics } from "./handlers/delete-topics.ts";
import { handleDescribeConfigs } from "./handlers/describe-configs.ts";
import { handleDescribeGroups } from "./handlers/describe-groups.ts";
import { handleFetch } from "./handlers/fetch.ts";
import { handleFindCoordinator } from "./handlers/find-coordinator.ts";
import { handleHeartbeat } from "./handlers/heartbeat.ts";
import { handleInitProducerId } from "./handlers/init-producer-id.ts";
import { handleJoinGroup } from "./handlers/join-group.ts";
import { handleLeaveGroup } from "./handlers/leave-group.ts";
import { handleListGroups } from "./handlers/list-groups.ts";
import { handleListOffsets } from "./handlers/list-offsets.ts";
import { handleMetadata } from "./handlers/metadata.ts";
import { handleOffsetCommit } from "./handlers/offset-commit.ts";
import { handleOffsetFetch } from "./handlers/offset-fetch.ts";
import { handleProduce } from "./handlers/produce.ts";
import { handleSaslAuthenticate } from "./handlers/sasl-authenticate.ts";
import { handleSaslHandshake } from "./handlers/sasl-handshake.ts";
import { handleSyncGroup } from "./handlers/sync-group.ts";
import { answerBareToken } from "./sasl-step.ts";
import {
  APIS,
  type ApiName,
  apiByKey,
  decodeRequest,
  encodeApiVersionsFallback,
  encodeResponse,
  type KafkaRequest,
  peekRequestHeader,
  type RequestBody,
  type ResponseBody,
} from "./protocol/index.ts";
import type { EncodeInput } from "./protocol/schema.ts";

/** A handler's call: the request, decoded, and where it came from. */
export interface Call<K extends ApiName> {
  body: RequestBody<K>;
  version: number;
  clientId: string;
  conn: ConnectionInfo;
  /** What the handler may tell the connection of this request (none when called directly, as in tests). */
  signals?: RequestSignals;
}

/** A handler: the response body, or null when the protocol sends none (Produce with acks=0). */
export type Handler<K extends ApiName> = (ctx: KafkaContext, call: Call<K>) => Promise<EncodeInput<ResponseBody<K>> | null>;

const HANDLERS: { [K in ApiName]: Handler<K> } = {
  Produce: handleProduce,
  Fetch: handleFetch,
  ListOffsets: handleListOffsets,
  Metadata: handleMetadata,
  OffsetCommit: handleOffsetCommit,
  OffsetFetch: handleOffsetFetch,
  FindCoordinator: handleFindCoordinator,
  JoinGroup: handleJoinGroup,
  Heartbeat: handleHeartbeat,
  LeaveGroup: handleLeaveGroup,
  SyncGroup: handleSyncGroup,
  DescribeGroups: handleDescribeGroups,
  ListGroups: handleListGroups,
  ApiVersions: handleApiVersions,
  CreateTopics: handleCreateTopics,
  DeleteTopics: handleDeleteTopics,
  InitProducerId: handleInitProducerId,
  DescribeConfigs: handleDescribeConfigs,
  AlterConfigs: handleAlterConfigs,
  CreatePartitions: handleCreatePartitions,
  IncrementalAlterConfigs: handleIncrementalAlterConfigs,
  SaslHandshake: handleSaslHandshake,
  SaslAuthenticate: handleSaslAuthenticate,
};

/** What an unauthenticated connection may ask (Kafka's SaslServerAuthenticator): the rest closes it. */
const BEFORE_AUTHENTICATION: ReadonlySet<number> = new Set([APIS.ApiVersions.key, APIS.SaslHandshake.key, APIS.SaslAuthenticate.key]);

/**
 * One request frame in, its answer out. A frame that cannot be decoded closes the
 * connection with a log line (the protocol defines no answer to a request the broker
 * cannot read), except an ApiVersions of a version this broker does not know, which
 * gets KIP-511's v0 answer so the client retries with one it does.
 */
export async function answerFrame(
  ctx: KafkaContext,
  frame: Uint8Array,
  conn: ConnectionInfo,
  signals?: RequestSignals,
): Promise<Uint8Array | null | "close"> {
  if (conn.auth.expectsBareToken) return answerBareToken(ctx, frame, conn);
  if (frame.length < 8) {
    ctx.log(`kafka: a ${frame.length}-byte request is too short for a request header`);
    return "close";
  }
  const { apiKey, apiVersion, correlationId } = peekRequestHeader(frame);
  if (conn.auth.expired(Date.now()) && !BEFORE_AUTHENTICATION.has(apiKey)) {
    ctx.countRequest(apiByKey(apiKey)?.name ?? "unknown", false);
    // KIP-368: past its session's end a connection that did not re-authenticate is closed.
    ctx.log(`kafka: ${conn.clientHost}'s SASL session of ${conn.auth.principal} ended ${ctx.options.reauthMs} ms after it began without a re-authentication (--kafka-reauth-ms)`);
    return "close";
  }
  if (!conn.auth.authenticated && !BEFORE_AUTHENTICATION.has(apiKey)) {
    const name = apiByKey(apiKey)?.name ?? `API key ${apiKey}`;
    ctx.countRequest(apiByKey(apiKey)?.name ?? "unknown", false);
    ctx.log(`kafka: ${conn.clientHost} sent ${name} before authenticating with SASL (this broker runs with --auth=token)`);
    return "close";
  }
  let req: KafkaRequest;
  try {
    req = decodeRequest(frame, KAFKA_LIMITS.maxRequestElements.value);
  } catch (error) {
    const kafkaError = kafkaErrorName(error);
    if (apiKey === APIS.ApiVersions.key && kafkaError === "UNSUPPORTED_VERSION") {
      ctx.countRequest("ApiVersions", false);
      return encodeApiVersionsFallback(correlationId);
    }
    const name = apiByKey(apiKey)?.name ?? `API key ${apiKey}`;
    ctx.countRequest(apiByKey(apiKey)?.name ?? "unknown", false);
    ctx.log(`kafka: cannot read ${name} v${apiVersion} (correlation id ${correlationId}): ${kafkaError}: ${errorMessage(error)}`);
    return "close";
  }
  const handler = HANDLERS[req.api] as Handler<ApiName>;
  let body: EncodeInput<ResponseBody<ApiName>> | null;
  try {
    body = await handler(ctx, { body: req.body, version: req.version, clientId: req.header.clientId ?? "", conn, signals });
  } catch (error) {
    // Handlers answer errors in their response bodies; an exception here is a bug.
    ctx.countRequest(req.api, false);
    ctx.log(`kafka: ${req.api} v${req.version} failed: ${errorMessage(error)}`);
    return "close";
  }
  ctx.countRequest(req.api, true);
  // A Fetch answer (up to megabytes of records) is laid out in pooled memory, which the
  // connection gives back once the socket has written it.
  return body === null ? null : encodeResponse(req.api, req.version, correlationId, body, req.api === "Fetch" ? KAFKA_BUFFERS : undefined);
}
