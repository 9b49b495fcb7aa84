import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerProcess, type BrokerOptions } from "./broker-harness.ts";
import { get, post } from "./cluster-http.ts";
import { FaultNetwork } from "./fault-network.ts";
import { until } from "./until.ts";

/**
 * A cluster whose brokers reach each other only through
 * a FaultNetwork (one proxy per directed link), so that a test can cut links between
 * brokers. Every broker is started at once with all the others as --peers (their proxy
 * addresses), as the launcher starts them, so that formation picks the same voters on
 * each; a broker's proxies are pointed at it once it reports its port.
 */

export interface QuorumAnswer {
  voters: number[];
  leader: number | null;
  epoch: number;
  committed_offset: number;
  role: string;
  /** This broker's data directory id, and whether its id is a voter's recorded with another (KIP-853). */
  directory_id: string | null;
  wiped: boolean;
  voter_status: Array<{ id: number; directory_id: string | null; committed_offset: number | null }>;
}

export class QuorumCluster {
  constructor(
    readonly brokers: BrokerProcess[],
    readonly network: FaultNetwork,
    private readonly root: string,
  ) {}

  broker(id: number): BrokerProcess {
    const broker = this.brokers.find((b) => b.id === id);
    if (!broker) throw new Error(`no broker ${id}`);
    return broker;
  }

  async quorum(id: number): Promise<QuorumAnswer | null> {
    try {
      const answer = await get<{ quorum?: QuorumAnswer }>(this.broker(id), "/cluster", tokenHeader(this.broker(id)));
      return answer.body.quorum ?? null;
    } catch {
      return null;
    }
  }

  /** The leader every running broker among `ids` names, once they agree. */
  async leader(ids: number[] = this.brokers.map((b) => b.id), timeoutMs = 20_000): Promise<number> {
    const agreed = await until(
      `brokers ${ids.join(",")} agreeing on a quorum leader`,
      async () => {
        const views = await Promise.all(ids.map((id) => this.quorum(id)));
        const leaders = new Set(views.map((v) => v?.leader ?? null));
        return leaders.size === 1 ? [...leaders][0] : null;
      },
      (leader) => leader !== null && leader !== undefined,
      { timeoutMs },
    );
    return agreed as number;
  }

  /** Creates a topic through broker `via`; answers status and body. */
  create(via: number, topic: string, partitions = 1) {
    return post<{ status?: string; error?: string; message?: string }>(this.broker(via), "/create-topic", { topic, partitions }, tokenHeader(this.broker(via)));
  }

  async start(id: number): Promise<void> {
    const broker = this.broker(id);
    const before = broker.output.length;
    // Generous: on a machine shared with other test runs a process can take long to start.
    const started = broker.start(60_000);
    await until("the broker naming its port", async () => /running on :(\d+)/.exec(broker.output.slice(before)), (m) => m !== null, { timeoutMs: 60_000 }).catch(() => undefined);
    const match = /running on :(\d+)/.exec(broker.output.slice(before));
    if (match) this.network.moveNode(id, { host: "127.0.0.1", port: Number(match[1]) });
    await started;
  }

  /** Stops broker `id`, deletes its whole data dir (a lost disk) and starts it again. */
  async wipe(id: number): Promise<void> {
    const broker = this.broker(id);
    await broker.stop();
    rmSync(broker.dataDir, { recursive: true, force: true });
    await this.start(id);
  }

  async stop(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.stop().catch(() => b.kill9())));
    await this.network.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The harness's own credentials, for brokers run with --auth=token (BrokerOptions.token). */
function tokenHeader(broker: BrokerProcess): Record<string, string> {
  return broker.options.token === undefined ? {} : { authorization: `Bearer ${broker.options.token}` };
}

/**
 * Starts `count` brokers behind the fault network and waits for one quorum leader.
 * `prepare` runs on each broker's data dir before it first starts (to lay down data
 * an older release wrote).
 */
export async function startQuorumCluster(count: number, options: BrokerOptions = {}, prepare?: (dataDir: string, id: number) => void): Promise<QuorumCluster> {
  const root = mkdtempSync(join(tmpdir(), "streamnest-quorum-"));
  const secret = `test-secret-${crypto.randomUUID()}`;
  // Proxies first (towards a port nothing listens on); each is pointed at its broker once it runs.
  const network = await FaultNetwork.start(Array.from({ length: count }, (_, i) => ({ id: i + 1, host: "127.0.0.1", port: 1 })));
  const args = options.args ?? [];
  const brokers = Array.from(
    { length: count },
    (_, i) => new BrokerProcess(i + 1, 0, join(root, `broker-${i + 1}`), network.peersOf(i + 1), { ...options, args, secret }),
  );
  const cluster = new QuorumCluster(brokers, network, root);
  try {
    for (const b of brokers) prepare?.(b.dataDir, b.id);
    await Promise.all(brokers.map((b) => cluster.start(b.id)));
    await cluster.leader();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
