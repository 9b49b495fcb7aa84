export { StreamNestClient, isUnreachable, type ClientOptions, type ClientTls } from "./client.ts";
export { displayAddress, parseBrokerAddresses } from "./address.ts";
export { parseServerSentEvents, type ServerSentEvent } from "./sse.ts";
export * from "./types.ts";
export { AdminClient, type AclSpec, type AclView, type IssuedToken, type TokenView, type UserView } from "./admin.ts";
