import { INTERNAL_ROUTES } from "../lib/internal-routes.ts";
import type { PeerClient } from "./peer-client.ts";
import type { VersionedState } from "./shared-state.ts";
import { CLUSTER_LIMITS } from "../config/cluster.ts";

/**
 * Keeps this broker's metadata as new as the newest any peer holds. The controller
 * pushes each change to every peer; a broker that was down, partitioned or started late
 * misses pushes, so it also pulls: from every peer on start, from a peer whose heartbeat
 * reports a newer version (heartbeats carry versions both ways), and periodically while
 * any peer is known to hold a newer one. Only a newer version is ever adopted, so the
 * versions a broker serves only go up.
 *
 * Two brokers can still hold different documents under one version number (a controller
 * made a change that reached nobody, then another controller numbered a different
 * change alike). Heartbeats carry a digest of the document, and of two equal versions
 * the one with the greater digest wins on every broker, so the cluster always settles
 * on one truth instead of staying split.
 */

export const METADATA_PATH = INTERNAL_ROUTES.metadata;
export const DEFAULT_SYNC_INTERVAL_MS = CLUSTER_LIMITS.metadataSyncIntervalMs.value;

export interface MetadataSyncOptions<S extends { version: number }> {
  state: VersionedState<S>;
  /** Dial addresses of every peer, alive or not. */
  peers: () => string[];
  client: PeerClient;
  intervalMs?: number;
  log?: (line: string) => void;
}

export class MetadataSync<S extends { version: number }> {
  private readonly pulling = new Map<string, Promise<boolean>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Highest version any peer has reported, so a lagging broker knows it lags. */
  private newestSeen = 0;

  constructor(private readonly options: MetadataSyncOptions<S>) {}

  /**
   * Periodically pulls when some peer has reported a newer version: a pull triggered by
   * a heartbeat can fail (the peer was busy or went down), and this retries it.
   */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.catchUpIfBehind(), this.options.intervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The highest version this broker knows to exist (its own or a peer's). */
  newestKnownVersion(): number {
    return Math.max(this.newestSeen, this.options.state.version());
  }

  /** Pulls from every peer at once and adopts the newest; resolves with the version held after. */
  async catchUp(): Promise<number> {
    await Promise.all(this.options.peers().map((address) => this.pullFrom(address)));
    return this.options.state.version();
  }

  /**
   * Heartbeats report versions; a newer one than ours means a change we missed, and an
   * equal one with a greater digest is the document this broker must settle on.
   */
  noteVersion(dialAddress: string, version: number, fingerprint?: string): void {
    if (version > this.newestSeen) this.newestSeen = version;
    const own = this.options.state.version();
    if (version > own) void this.pullFrom(dialAddress);
    else if (version === own && fingerprint !== undefined && this.winsTieBreak(fingerprint))
      void this.pullFrom(dialAddress, true);
  }

  private winsTieBreak(fingerprint: string): boolean {
    return fingerprint > this.options.state.fingerprint();
  }

  /** Pulls until no peer is known to hold a newer version than ours (bounded by peer timeouts). */
  async catchUpIfBehind(): Promise<void> {
    if (this.newestSeen > this.options.state.version()) await this.catchUp();
  }

  /**
   * One pull from one peer; concurrent pulls from the same peer share one request.
   * `settleTie`: also adopt the peer's document at our own version if it wins the tie-break.
   */
  pullFrom(dialAddress: string, settleTie = false): Promise<boolean> {
    const running = this.pulling.get(dialAddress);
    if (running) return running;
    const pull = this.fetchAndInstall(dialAddress, settleTie).finally(() => this.pulling.delete(dialAddress));
    this.pulling.set(dialAddress, pull);
    return pull;
  }

  private async fetchAndInstall(dialAddress: string, settleTie: boolean): Promise<boolean> {
    let snapshot: S;
    try {
      const body = await this.options.client.json<unknown>(dialAddress, { path: METADATA_PATH });
      snapshot = this.options.state.parse(body);
    } catch {
      // An unreachable peer is the heartbeat's news to report; the next pull retries.
      return false;
    }
    return this.adopt(snapshot, `broker at ${dialAddress}`, settleTie);
  }

  /** Handles a snapshot the controller pushed (POST /internal/metadata). */
  async receivePush(value: unknown): Promise<{ version: number; installed: boolean }> {
    const snapshot = this.options.state.parse(value);
    const installed = await this.adopt(snapshot, "the controller");
    return { version: this.options.state.version(), installed };
  }

  /** Adopts a snapshot obtained any way (e.g. returned by the controller with its answer). */
  async adopt(snapshot: S, from: string, settleTie = false): Promise<boolean> {
    const { state } = this.options;
    if (snapshot.version > this.newestSeen) this.newestSeen = snapshot.version;
    const before = state.version();
    if (snapshot.version < before) return false;
    if (snapshot.version === before) {
      if (!settleTie || !this.winsTieBreak(state.fingerprint(snapshot))) return false;
      const installed = await state.install(snapshot, true);
      if (installed)
        this.options.log?.(
          `Metadata version ${before} here differed from the version ${before} of the ${from}: adopted that one, so that every broker holds the same metadata`,
        );
      return installed;
    }
    const installed = await state.install(snapshot);
    if (installed) this.options.log?.(`Metadata version ${before} -> ${snapshot.version} (from ${from})`);
    return installed;
  }

  /** What GET /internal/metadata answers. */
  serve(): S {
    return this.options.state.snapshot();
  }
}
