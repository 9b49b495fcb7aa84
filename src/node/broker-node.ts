import type { Server } from "bun";
import { readDiskBirth } from "../broker/disk-birth.ts";
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
import type { StreamNestApp } from "../http/app.ts";
import { claimPort, EarlyListener, listen, rebind } from "../http/server.ts";
import { HttpWorkers } from "../http/workers/http-workers.ts";
import { ownerFastPath, type SocketFetch } from "../http/fast-path.ts";
import { ReplicaChannelServer, withReplicaChannel } from "../http/replica-channel.ts";
import { RequestCounter } from "../http/respond.ts";
import { loadTlsMaterial, type TlsMaterial } from "../lib/tls-material.ts";
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
  /** TLS for HTTP, Kafka and calls to peers (checked already: see loadTlsMaterial); none: plaintext. */
  tls?: TlsMaterial;
}

export class BrokerNode {
  readonly broker: Broker;
  readonly link: ClusterLink;
  /** With port 0 in the config: the real port here, and in the advertised address when it said 0 or nothing. */
  readonly config: BrokerConfig;
  /** Who a client is and what it may do (tokens and ACLs from the replicated metadata). */
  readonly access: AccessControl;
  private server: Server<unknown> | undefined;
  private app: StreamNestApp | undefined;
  /** Servers a TLS reload replaced, finishing what they had begun; stopped for good on close. */
  private retired: Server<unknown>[] = [];
  private tls: TlsMaterial | undefined;
  /** The Kafka door, once serving (when the hooks asked for one). */
  kafka: KafkaAdapter | undefined;
  private readonly hooks: BrokerNodeHooks;
  private early: EarlyListener | undefined;
  /** With --workers above 1: the threads serving HTTP on the port. */
  private workers: HttpWorkers | undefined;
  /** --workers=1: what answers this thread's port (the app behind a fast path). */
  private front: SocketFetch | undefined;
  /** --workers=1: the leader's end of followers' replication channels (on this thread's port). */
  private channel: ReplicaChannelServer | undefined;
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
    this.tls = hooks.tls;
    // Before anything writes to the data dir: a new one is how a wiped disk is known.
    const diskBornAt = readDiskBirth(config.dataDir);
    this.link = new ClusterLink(config, {
      log: hooks.log,
      ...(auth ? { auth } : {}),
      ...(hooks.tls !== undefined ? { tls: hooks.tls } : {}),
    });
    // A signed call is served only from a broker the quorum knows, but for those a joining broker makes.
    if (auth) auth.isKnownSender = (sender, request) => this.link.acceptsCallFrom(sender, request.path);
    this.broker = Broker.open(config, { ...this.link.brokerDeps(), warn: hooks.warn, diskBornAt });
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
      early = new EarlyListener({
        host: config.host,
        port: 0,
        shared: sharesPort(config),
        ...hostNames(config),
        ...(hooks.tls !== undefined ? { tls: hooks.tls } : {}),
      });
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
    this.app = app;
    this.channel = new ReplicaChannelServer(this.link, new RequestCounter(this.broker.metrics), this.hooks.log ?? ((m) => console.error(m)));
    if (sharesPort(this.config)) await this.serveFromWorkers(app, this.channel);
    else {
      this.front = withReplicaChannel(ownerFastPath(app, this.broker, { access: this.access }), this.channel);
      this.server = this.early ? this.early.serve(app, this.front, this.channel.websocket) : listen(app, this.listenOptions(), this.front);
      this.early = undefined;
    }
    if (this.hooks.kafka) {
      const kafka = this.tls !== undefined ? { ...this.hooks.kafka, tls: this.tls } : this.hooks.kafka;
      this.kafka = await KafkaAdapter.start(this.broker, kafka, {
        log: this.hooks.log ?? ((line) => console.log(line)),
        peerKafkaAddress: (id, listener) => this.link.kafkaAddressOf(id, listener),
        access: this.access,
        // The same on every broker of the cluster: an unknown user's fake SCRAM salt does not vary by broker.
        ...(this.config.clusterSecret !== undefined
          ? { saslSecret: deriveClusterKeys(this.config.clusterSecret, this.config.clusterId).scramFakeCredentials }
          : {}),
      });
      this.link.setKafkaAddress(this.kafka.advertise, Object.fromEntries(this.kafka.listeners.map((l) => [l.name, l.advertise])));
    }
    this.link.start();
  }

  /** Whether the broker serves TLS (and so has certificates to reload). */
  get tlsEnabled(): boolean {
    return this.tls !== undefined;
  }

  /**
   * Reads the TLS files again (SIGHUP) and, when they are good together, uses them for
   * every new connection: HTTPS, the Kafka listener and calls to peers. Open
   * connections keep the certificate they began with. A problem throws (a one-line
   * StreamNestError naming the file) and leaves the material in use as it was. With
   * --workers above 1 the workers hold the port: each listens anew with the material,
   * and this resolves once all of them do.
   */
  async reloadTls(): Promise<TlsMaterial> {
    const current = this.tls;
    if (current === undefined) throw new Error("this broker was started without TLS");
    if (this.closing !== undefined) throw new Error("the broker is stopping");
    const next = loadTlsMaterial(current.paths);
    if (this.workers !== undefined) await this.workers.reloadTls(next);
    else if (this.server !== undefined && this.app !== undefined) {
      const old = this.server;
      try {
        this.server = rebind(old, this.app, this.listenOptions(next), this.front);
      } catch (error) {
        // Never left without a listener: serve on with what worked, and say why.
        this.server = rebind(old, this.app, this.listenOptions(current), this.front);
        throw error;
      }
      // Those that finished what they had begun are let go; the rest are stopped on close.
      this.retired = [...this.retired.filter((server) => server.pendingRequests > 0), old];
    }
    this.kafka?.reloadTls(next);
    this.link.node.client.reloadTls(next);
    this.tls = next;
    return next;
  }

  private listenOptions(tls: TlsMaterial | undefined = this.tls) {
    return {
      host: this.config.host,
      port: this.config.port,
      ...hostNames(this.config),
      ...(tls !== undefined ? { tls } : {}),
      ...(this.channel !== undefined ? { websocket: this.channel.websocket } : {}),
    };
  }

  /**
   * --workers above 1: the worker threads take the port's connections (see
   * http-workers.ts). A port chosen by the system (port 0) is held by this thread's
   * early listener until they listen, then left to them; nobody has been told the port
   * yet, so no client is connected to this thread when it lets go. A port given is
   * checked free (claimPort) and bound by the workers alone, so a client that knew it
   * beforehand (a peer, a script) never gets a connection this thread would then drop.
   */
  private async serveFromWorkers(app: ReturnType<typeof createApp>, channel: ReplicaChannelServer): Promise<void> {
    const early = this.early;
    this.early = undefined;
    if (early) this.server = early.serve(app);
    else {
      claimPort({ host: this.config.host, port: this.config.port });
      app.compile();
    }
    this.workers = await HttpWorkers.start(app, this.broker, {
      count: this.config.workers ?? 1,
      host: this.config.host,
      port: this.config.port,
      ...hostNames(this.config),
      access: this.access,
      channel,
      ...(this.tls !== undefined ? { tls: this.tls } : {}),
    });
    const workers = this.workers;
    this.broker.metrics.observeHttpThreads(() => workers.served);
    // The app keeps this server (server.timeout of long polls); it just takes no connection.
    if (this.server) void this.server.stop(false);
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
    this.workers?.stopTaking();
    await this.link.stop();
    // This broker leads nothing from now on: its followers' channels (through workers too) go.
    this.channel?.closeAll();
    await this.kafka?.close();
    await this.broker.close();
    await this.early?.close();
    await this.workers?.close();
    if (server) {
      await Promise.race([draining, Bun.sleep(2000)]);
      await server.stop(true);
    }
    for (const old of this.retired) await old.stop(true);
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

/** More than one thread serving HTTP: the port is bound with SO_REUSEPORT by each. */
function sharesPort(config: BrokerConfig): boolean {
  return (config.workers ?? 1) > 1;
}

/**
 * The names a browser may reach this broker by beyond loopback and IP addresses (its
 * advertised host, --allowed-hosts), and whether names are checked at all beyond
 * loopback: only without client authentication, and unless --allowed-hosts=* (host-check.ts).
 */
function hostNames(config: BrokerConfig): { names: string[]; namesBeyondLoopback: boolean } {
  const allowed = config.allowedHosts ?? [];
  const authenticated = config.clientAuth?.mode === "token";
  return { names: [config.advertise, ...allowed.filter((n) => n !== "*")], namesBeyondLoopback: !authenticated && !allowed.includes("*") };
}
