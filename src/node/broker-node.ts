import type { Server } from "bun";
import { Broker } from "../broker/broker.ts";
import type { BrokerConfig } from "../broker/config.ts";
import { join } from "node:path";
import { loadOrCreateAdminToken } from "../auth/admin-token.ts";
import { BrokerCallAuth } from "../auth/broker-call-auth.ts";
import { deriveClusterKeys } from "../auth/cluster-keys.ts";
import { AccessControl } from "../auth/access-control.ts";
import { DEFAULT_ADMIN_TOKEN_FILE } from "../config/auth.ts";
import type { SecurityState } from "../auth/security-state.ts";
import { ClusterLink } from "../cluster/cluster-link.ts";
import { createApp } from "../http/app.ts";
import { withPort } from "../config/broker-settings.ts";
import { EarlyListener, listen } from "../http/server.ts";
import { KafkaAdapter, type KafkaOptions } from "../kafka/kafka-adapter.ts";

/**
 * The composition of one running broker from its config: the core (broker/), its link
 * to the cluster (cluster/, which supplies the core's peer transport, directory and
 * proposer), and the HTTP adapter (http/) serving both; later the Kafka adapter beside
 * it. The only place that knows every part.
 *
 *   const node = BrokerNode.open(config, { log, warn });
 *   await node.serve();   // newest metadata from the peers, then listen, then heartbeats
 *   …
 *   await node.close();
 */

export interface BrokerNodeHooks {
  /** Cluster events (a peer up or down, a new controller). */
  log?: (line: string) => void;
  /** Warnings of the core (a partition folder removed, a log that could not close). */
  warn?: (message: string) => void;
  /** The Kafka listener's options; none: no Kafka listener. */
  kafka?: KafkaOptions;
}

export class BrokerNode {
  readonly broker: Broker;
  readonly link: ClusterLink;
  /** With port 0 in the config: the real port here, and in the advertised address when it said 0 or nothing. */
  readonly config: BrokerConfig;
  /** Who a client is and what it may do (tokens and ACLs from the replicated metadata). */
  readonly access: AccessControl;
  private server: Server<unknown> | undefined;
  /** The Kafka door, once serving (when the hooks asked for one). */
  kafka: KafkaAdapter | undefined;
  private readonly hooks: BrokerNodeHooks;
  private early: EarlyListener | undefined;
  private closing: Promise<void> | undefined;

  private constructor(config: BrokerConfig, hooks: BrokerNodeHooks, early: EarlyListener | undefined) {
    this.config = config;
    this.early = early;
    this.hooks = hooks;
    // The secret stays here: the cluster layer gets only what signs and checks calls.
    const auth =
      config.clusterSecret === undefined
        ? undefined
        : new BrokerCallAuth({ secret: config.clusterSecret, clusterId: config.clusterId, selfId: config.id });
    this.link = new ClusterLink(config, { log: hooks.log, ...(auth ? { auth } : {}) });
    this.broker = Broker.open(config, { ...this.link.brokerDeps(), warn: hooks.warn });
    this.access = accessControl(config, () => this.broker.security(), hooks.log);
    this.link.attach(this.broker);
  }

  /**
   * Opens the core over its data dir, linked to the cluster; nothing is served yet. Port
   * 0 binds at once, so the port the system picks is the one advertised to peers and
   * clients, and is never let go of in between.
   */
  static open(config: BrokerConfig, hooks: BrokerNodeHooks = {}): BrokerNode {
    let early: EarlyListener | undefined;
    if (config.port === 0) {
      early = new EarlyListener({ host: config.host, port: 0 });
      config = { ...config, port: early.port, advertise: withPort(config.advertise, early.port) };
    }
    try {
      return new BrokerNode(config, hooks, early);
    } catch (error) {
      void early?.close();
      throw error;
    }
  }

  /**
   * Listens, then starts heartbeats and the metadata quorum (a restarted broker serves
   * the metadata it applied from its log, and fetches what it missed from the leader).
   * A port that cannot be bound throws (the caller closes the node).
   */
  async serve(): Promise<void> {
    const app = createApp(this.broker, { cluster: this.link, access: this.access });
    this.server = this.early ? this.early.serve(app) : listen(app, { host: this.config.host, port: this.config.port });
    this.early = undefined;
    if (this.hooks.kafka) {
      this.kafka = await KafkaAdapter.start(this.broker, this.hooks.kafka, {
        log: this.hooks.log ?? ((line) => console.log(line)),
        peerKafkaAddress: (id) => this.link.kafkaAddressOf(id),
        access: this.access,
        // The same on every broker of the cluster: an unknown user's fake SCRAM salt does not vary by broker.
        ...(this.config.clusterSecret !== undefined
          ? { saslSecret: deriveClusterKeys(this.config.clusterSecret, this.config.clusterId).scramFakeCredentials }
          : {}),
      });
      this.link.setKafkaAddress(this.kafka.advertise);
    }
    this.link.start();
  }

  /**
   * Stops taking connections, ends long polls and streams, flushes and closes every log,
   * then drops whatever connections are left. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    const server = this.server;
    const draining = server?.stop(false);
    await this.link.stop();
    await this.kafka?.close();
    await this.broker.close();
    await this.early?.close();
    if (server) {
      await Promise.race([draining, Bun.sleep(2000)]);
      await server.stop(true);
    }
  }
}

/**
 * With --auth=token, the bootstrap admin's token (from its file, created when missing)
 * beside the users' tokens and the ACLs kept in the replicated metadata.
 */
function accessControl(config: BrokerConfig, security: () => SecurityState, log: ((line: string) => void) | undefined): AccessControl {
  if (config.clientAuth?.mode !== "token") return new AccessControl({ mode: "none", security });
  const file = config.clientAuth.adminTokenFile ?? join(config.dataDir, DEFAULT_ADMIN_TOKEN_FILE);
  const admin = loadOrCreateAdminToken(file);
  if (admin.created) log?.(`Created the admin token (User:admin) in ${file}: clients send it with --token or STREAMNEST_TOKEN`);
  return new AccessControl({ mode: "token", bootstrap: admin.record, security });
}
