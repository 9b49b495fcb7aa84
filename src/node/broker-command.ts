/**
 * What the `broker` command needs of the parts below it, so that commands/ imports
 * node/ (and the leaf modules config/ and lib/) only: the config type, the cluster
 * secret's lookup, the local cluster launcher and the watch on the launcher's process.
 */
export { type BrokerConfig, brokerConfig } from "../broker/config.ts";
export { CLUSTER_SECRET_ENV, resolveClusterSecret } from "../cluster/cluster-secret.ts";
export { runLocalCluster } from "../cluster/launcher.ts";
export { watchParent } from "../cluster/parent-watch.ts";
export { BrokerNode } from "./broker-node.ts";
export { loadOrCreateAdminToken } from "../auth/admin-token.ts";
