/**
 * The Kafka wire codec, as the TCP server and the handlers use it:
 *
 *   const splitter = new FrameSplitter(maxRequestBytes);
 *   for (const frame of splitter.push(chunk)) {           // throws: close the connection
 *     const { apiKey, correlationId } = peekRequestHeader(frame);
 *     let req: KafkaRequest;
 *     try { req = decodeRequest(frame); }
 *     catch (e) {                                         // KIP-511 for ApiVersions, else close
 *       if (apiKey === APIS.ApiVersions.key && kafkaErrorOf(e) === "UNSUPPORTED_VERSION")
 *         write(encodeApiVersionsFallback(correlationId));
 *       else close(e);
 *       continue;
 *     }
 *     switch (req.api) {
 *       case "Metadata": write(encodeResponse("Metadata", req.version, correlationId, { … })); break;
 *       …
 *     }
 *   }
 *
 * Produce's `records` are decoded with decodeRecordBatches; Fetch answers carry stored or
 * encodeRecordBatch-built batches as bytes.
 */
export type { ApiDef } from "./api.ts";
export { APIS, type ApiName, apiByKey, supportedApiVersions } from "./apis/index.ts";
export { COMPRESSION, type CompressionCodec, type CompressionName } from "./compression.ts";
export { KAFKA_ERROR, type KafkaErrorName, kafkaErrorOf, type ProtocolErrorDetails } from "./error-codes.ts";
export { DEFAULT_MAX_REQUEST_BYTES, FrameSplitter } from "./frame-splitter.ts";
export type { RequestHeader } from "./headers.ts";
export {
  decodeRequest,
  decodeResponse,
  encodeApiVersionsFallback,
  encodeBareSaslToken,
  encodeRequest,
  encodeResponse,
  type KafkaRequest,
  peekRequestHeader,
  type RequestBody,
  type ResponseBody,
} from "./messages.ts";
export {
  type BatchInput,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  type KafkaRecord,
  magicOf,
  type RecordBatch,
  type RecordHeader,
  type RecordInput,
  setBaseOffset,
  setPartitionLeaderEpoch,
} from "./record-batch.ts";
export { ZERO_UUID } from "./schema.ts";
