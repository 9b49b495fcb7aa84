import type { ApiDef } from "../api.ts";
import { AlterConfigs } from "./alter-configs.ts";
import { ApiVersions } from "./api-versions.ts";
import { CreatePartitions } from "./create-partitions.ts";
import { CreateTopics } from "./create-topics.ts";
import { DeleteTopics } from "./delete-topics.ts";
import { DescribeConfigs } from "./describe-configs.ts";
import { DescribeGroups } from "./describe-groups.ts";
import { Fetch } from "./fetch.ts";
import { FindCoordinator } from "./find-coordinator.ts";
import { Heartbeat } from "./heartbeat.ts";
import { IncrementalAlterConfigs } from "./incremental-alter-configs.ts";
import { InitProducerId } from "./init-producer-id.ts";
import { JoinGroup } from "./join-group.ts";
import { LeaveGroup } from "./leave-group.ts";
import { ListGroups } from "./list-groups.ts";
import { ListOffsets } from "./list-offsets.ts";
import { Metadata } from "./metadata.ts";
import { OffsetCommit } from "./offset-commit.ts";
import { OffsetFetch } from "./offset-fetch.ts";
import { Produce } from "./produce.ts";
import { SaslAuthenticate } from "./sasl-authenticate.ts";
import { SaslHandshake } from "./sasl-handshake.ts";
import { SyncGroup } from "./sync-group.ts";

/**
 * Every API StreamNest speaks, by name. Transactions (AddPartitionsToTxn, EndTxn, …) are
 * deliberately absent, so ApiVersions does not offer them and clients do not try.
 */
export const APIS = {
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  FindCoordinator,
  JoinGroup,
  Heartbeat,
  LeaveGroup,
  SyncGroup,
  DescribeGroups,
  ListGroups,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  InitProducerId,
  DescribeConfigs,
  AlterConfigs,
  CreatePartitions,
  IncrementalAlterConfigs,
  SaslHandshake,
  SaslAuthenticate,
} as const;

export type Apis = typeof APIS;
export type ApiName = keyof Apis;

const BY_KEY: ReadonlyMap<number, ApiDef> = new Map(Object.values(APIS).map((api: ApiDef) => [api.key, api]));

export function apiByKey(key: number): ApiDef | undefined {
  return BY_KEY.get(key);
}

/** The (key, min, max) triples an ApiVersions answer lists, ascending by key. */
export function supportedApiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return [...BY_KEY.values()]
    .map((api) => ({ apiKey: api.key, minVersion: api.minVersion, maxVersion: api.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
}
