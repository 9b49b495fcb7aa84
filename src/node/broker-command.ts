/**
 * What the `broker` command needs of the parts below it, so that commands/ imports
 * node/ only: the config type and its defaults, the cluster secret's lookup, the local
 * cluster launcher and the watch on the launcher's process.
 */
export {
  type BrokerConfig,
  brokerConfig,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_PARTITIONS,
  DEFAULT_RETENTION_CHECK_MS,
  defaultMaxOpenPartitions,
} from "../broker/config.ts";
export { CLUSTER_SECRET_ENV, resolveClusterSecret } from "../cluster/cluster-secret.ts";
export { runLocalCluster } from "../cluster/launcher.ts";
export { watchParent } from "../cluster/parent-watch.ts";
export type { FsyncMode } from "../storage/types.ts";
export { BrokerNode } from "./broker-node.ts";
