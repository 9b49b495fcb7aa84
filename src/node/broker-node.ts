import type { Server } from "bun";
import { Broker } from "../broker/broker.ts";
import type { BrokerConfig } from "../broker/config.ts";
import { ClusterLink } from "../cluster/cluster-link.ts";
import { createApp } from "../http/app.ts";
import { listen } from "../http/server.ts";

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
}

export class BrokerNode {
  readonly broker: Broker;
  readonly link: ClusterLink;
  private server: Server<unknown> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly config: BrokerConfig,
    hooks: BrokerNodeHooks,
  ) {
    this.link = new ClusterLink(config, { log: hooks.log });
    this.broker = Broker.open(config, { ...this.link.brokerDeps(), warn: hooks.warn });
    this.link.attach(this.broker);
  }

  /** Opens the core over its data dir, linked to the cluster; nothing listens yet. */
  static open(config: BrokerConfig, hooks: BrokerNodeHooks = {}): BrokerNode {
    return new BrokerNode(config, hooks);
  }

  /**
   * Pulls the newest metadata from the peers before serving, so a restarted broker never
   * answers with what it knew before it went down; then listens and starts heartbeats.
   * A port that cannot be bound throws (the caller closes the node).
   */
  async serve(): Promise<void> {
    await this.link.catchUp();
    this.server = listen(createApp(this.broker, { cluster: this.link }), { host: this.config.host, port: this.config.port });
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
    this.link.stop();
    await this.broker.close();
    if (server) {
      await Promise.race([draining, Bun.sleep(2000)]);
      await server.stop(true);
    }
  }
}
