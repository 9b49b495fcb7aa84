export { StreamNestClient, isUnreachable, type ClientOptions, type ClientTls } from "./client.ts";
export { displayAddress, parseBrokerAddresses } from "./address.ts";
export { parseServerSentEvents, type ServerSentEvent } from "./sse.ts";
export * from "./types.ts";
