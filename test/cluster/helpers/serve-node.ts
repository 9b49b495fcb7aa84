import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { ClusterNode } from "../../../src/cluster/cluster-node.ts";
import { CLUSTER_SECRET_HEADER, isInternalPath } from "../../../src/lib/internal-routes.ts";
import { HEARTBEAT_PATH } from "../../../src/cluster/membership.ts";
import { StreamNestError } from "../../../src/lib/errors.ts";
import { freePorts } from "../../helpers/ports.ts";

/**
 * Real cluster nodes (membership, heartbeats, forwarding) in this process, each with its
 * own data dir (learned members persist there) and behind its own Bun.serve, with the
 * internal routes dispatched as the broker's HTTP adapter does. A restart builds the
 * node again from disk.
 */

export interface ServedNode {
  id: number;
  port: number;
  address: string;
  dataDir: string;
  node: ClusterNode;
  server: Server<undefined> | undefined;
  logs: string[];
  /** Answers forwarded partition calls (/internal/partitions/…) as the leader would. */
  local: (req: Request, path: string) => Response | Promise<Response>;
  start(): Promise<void>;
  stop(): void;
}

export interface NodeSetOptions {
  secret?: string;
  heartbeatIntervalMs?: number;
  deadAfterMs?: number;
  timeoutMs?: number;
}

export class NodeSet {
  readonly root = mkdtempSync(join(tmpdir(), "streamnest-cluster-unit-"));
  readonly nodes: ServedNode[] = [];

  static async create(count: number, options: NodeSetOptions = {}): Promise<NodeSet> {
    const set = new NodeSet();
    const ports = await freePorts(count);
    ports.forEach((port, i) => set.add(i + 1, port, ports.filter((p) => p !== port).map((p) => `localhost:${p}`), options));
    return set;
  }

  add(id: number, port: number, peers: string[], options: NodeSetOptions = {}): ServedNode {
    const dataDir = join(this.root, `broker-${id}`);
    const logs: string[] = [];
    const make = (): ClusterNode =>
      new ClusterNode({
        id,
        address: `localhost:${port}`,
        peers,
        secret: options.secret ?? "unit-secret",
        dataDir,
        metadataVersion: () => 0,
        log: (line) => logs.push(line),
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 50,
        deadAfterMs: options.deadAfterMs ?? 400,
        timeoutMs: options.timeoutMs ?? 500,
      });
    const served: ServedNode = {
      id,
      port,
      address: `localhost:${port}`,
      dataDir,
      node: make(),
      server: undefined,
      logs,
      local: () => Response.json({ servedBy: id }),
      async start() {
        served.node = make();
        served.server = Bun.serve({ port, fetch: (req) => dispatch(served, req) });
        served.node.start();
      },
      stop() {
        served.node.stop();
        served.server?.stop(true);
        served.server = undefined;
      },
    };
    this.nodes.push(served);
    return served;
  }

  get(id: number): ServedNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  async startAll(): Promise<void> {
    for (const n of this.nodes) await n.start();
    await Promise.all(this.nodes.map((n) => n.node.membership.heartbeatRound()));
  }

  stopAll(): void {
    for (const n of this.nodes) n.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

async function dispatch(served: ServedNode, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const { node } = served;
  try {
    if (!isInternalPath(url.pathname)) return Response.json({ error: "NOT_FOUND", message: "no route" }, { status: 404 });
    node.authorize(req.headers.get(CLUSTER_SECRET_HEADER));
    if (url.pathname.startsWith("/internal/partitions/")) return await served.local(req, url.pathname + url.search);
    if (url.pathname === HEARTBEAT_PATH) return Response.json(node.handleHeartbeat(await req.json()));
    return Response.json({ error: "NOT_FOUND", message: "no route" }, { status: 404 });
  } catch (error) {
    if (error instanceof StreamNestError) return Response.json(error.toJSON(), { status: error.status });
    throw error;
  }
}

/** Polls `check` until it holds; the test's own timeout bounds it. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await Bun.sleep(20);
  }
}
