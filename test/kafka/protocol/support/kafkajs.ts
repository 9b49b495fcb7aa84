import { createRequire } from "node:module";

/**
 * kafkajs's own protocol encoders (a devDependency), used as an independent reference
 * for the bytes of the versions it implements. kafkajs ships no types for these
 * internals, so the shapes it returns are described here.
 */
export interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<unknown>;
}

interface KafkajsEncoder {
  buffer: Buffer;
}

const require = createRequire(import.meta.url);

type RequestFactory = (args: Record<string, unknown>) => KafkajsRequest;

/** kafkajs's request builder for `dir` (e.g. "metadata") at version `v`. */
export function kafkajsRequest(dir: string, v: number): RequestFactory {
  return require(`kafkajs/src/protocol/requests/${dir}/v${v}/request.js`) as RequestFactory;
}

export async function kafkajsRequestBytes(request: KafkajsRequest, correlationId: number, clientId: string): Promise<Uint8Array> {
  const frame = require("kafkajs/src/protocol/request.js") as (args: {
    correlationId: number;
    clientId: string;
    request: KafkajsRequest;
  }) => Promise<KafkajsEncoder>;
  return new Uint8Array((await frame({ correlationId, clientId, request })).buffer);
}
