export { Broker, type BrokerDeps } from "./broker.ts";
export { type BrokerDirectory, type Forwarder, noForwarder, singleBrokerDirectory } from "./cluster-seam.ts";
export { type BrokerConfig, brokerConfig } from "./config.ts";
export * from "./types.ts";
