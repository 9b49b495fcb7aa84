import { isInternalTopic } from "../../broker/topic-catalog.ts";
import { StreamNestError } from "../../lib/errors.ts";
import type { KafkaContext } from "../context.ts";
import type { Call } from "../dispatch.ts";
import { kafkaErrorCode } from "../error-map.ts";
import { KAFKA_ERROR } from "../protocol/index.ts";
import { topicIdOf } from "../topic-ids.ts";
import { isAllowed, requireTopic } from "../authorization.ts";
import { topicResource } from "../../auth/acl.ts";
import { autoCreate } from "./auto-create.ts";

/** Kafka's cluster id is a base64 UUID; StreamNest's clusters have one name. */
export const CLUSTER_ID = "streamnest";

/**
 * Metadata: the live brokers with a Kafka listener, the controller, and each asked topic's
 * partitions with leader, leader epoch, replicas and ISR (a single-copy partition's
 * one replica is its ISR); a partition whose leader is down has none (-1,
 * LEADER_NOT_AVAILABLE) and its dead replicas are offline. A topic named but missing is created when auto-creation is on
 * and the client allows it (v4+); v0 asking for no topics means every topic.
 */
export async function handleMetadata(ctx: KafkaContext, { body, version, conn }: Call<"Metadata">) {
  const { broker } = ctx;
  const cluster = broker.clusterMetadata();
  // Live brokers only, as a KRaft broker lists the unfenced ones: a client sends nothing to
  // a broker that is down, and its admin calls go to a controller that answers.
  const brokers = cluster.brokers.flatMap((b) => {
    const at = b.id === broker.self.id || broker.isBrokerLive(b.id) ? ctx.kafkaAddressOf(b.id) : undefined;
    return at ? [{ nodeId: b.id, host: at.host, port: at.port, rack: null }] : [];
  });
  const all = body.topics === null || (version === 0 && body.topics.length === 0);
  // Every topic means every topic the principal may DESCRIBE: it never learns the others' names.
  const names = all
    ? // The internal offsets topic too, flagged isInternal, as Kafka lists it (consumers
      // leave it out of pattern subscriptions by that flag, exclude.internal.topics).
      broker.listTopics(true).filter((name) => isAllowed(ctx, conn, "DESCRIBE", topicResource(name)))
    : // Each name once, as Kafka's handler takes the request's topics as a set: a request
      // repeating one name 100,000 times is answered (and auto-creates) it once.
      [...new Set((body.topics ?? []).map((t) => t.name ?? ""))];
  const allowCreate = body.allowAutoTopicCreation && ctx.options.autoCreateTopics;
  const topics = await Promise.all(
    names.map(async (name) => {
      try {
        // A named topic the principal may not describe is refused whether or not it exists.
        if (!all) requireTopic(ctx, conn, "DESCRIBE", name);
        if (!all && allowCreate) await autoCreate(ctx, conn, name);
        const d = broker.describeTopic(name);
        return {
          errorCode: KAFKA_ERROR.NONE,
          name,
          topicId: topicIdOf(name, d.createdAt),
          isInternal: isInternalTopic(name),
          partitions: d.partitions.map((p) => {
            // A leader that is down is no leader (Kafka answers -1 and LEADER_NOT_AVAILABLE):
            // the client waits and asks again instead of sending to a dead broker.
            const led = ctx.kafkaAddressOf(p.leader) !== undefined && broker.isBrokerLive(p.leader);
            return {
              errorCode: led ? KAFKA_ERROR.NONE : KAFKA_ERROR.LEADER_NOT_AVAILABLE,
              partitionIndex: p.partition,
              leaderId: led ? p.leader : -1,
              leaderEpoch: p.leaderEpoch,
              replicaNodes: p.replicas,
              isrNodes: p.isr ?? p.replicas,
              offlineReplicas: p.replicas.filter((r) => !broker.isBrokerLive(r)),
            };
          }),
        };
      } catch (error) {
        if (!(error instanceof StreamNestError)) throw error;
        return { errorCode: kafkaErrorCode(error), name, isInternal: false, partitions: [] };
      }
    }),
  );
  return {
    throttleTimeMs: 0,
    brokers,
    clusterId: CLUSTER_ID,
    // Any broker takes CreateTopics, DeleteTopics, CreatePartitions and AlterConfigs (it
    // proposes them to the metadata quorum), as KIP-590 forwards them: the lowest live one
    // is named. Naming broker 1 while it was down made every such call time out.
    controllerId: brokers.length > 0 ? Math.min(...brokers.map((b) => b.nodeId)) : broker.self.id,
    topics,
  };
}
