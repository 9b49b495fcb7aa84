import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { ClusterNode } from "../../../src/cluster/cluster-node.ts";
import { BrokerCallAuth } from "../../../src/auth/broker-call-auth.ts";
import {
  BROKER_AUTH_HEADER,
  BROKER_IDENTITY_PATH,
  BROKER_SIGNATURE_HEADER,
  isInternalPath,
  isStreamedAnswer,
  streamedBodyMark,
} from "../../../src/lib/internal-routes.ts";
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
  /** The cluster secret (16+ bytes) each node's call signing derives its key from. */
  secret?: string;
  clusterId?: string;
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
        auth: new BrokerCallAuth({ secret: options.secret ?? "unit-test-cluster-secret", clusterId: options.clusterId ?? "unit", selfId: id }),
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

/** As the broker's HTTP adapter does: identity in public, internal calls verified, answers signed. */
async function dispatch(served: ServedNode, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const { node } = served;
  if (url.pathname === BROKER_IDENTITY_PATH) return Response.json({ id: served.id });
  try {
    if (!isInternalPath(url.pathname)) return Response.json({ error: "NOT_FOUND", message: "no route" }, { status: 404 });
    const body = new Uint8Array(await req.arrayBuffer());
    const path = url.pathname + url.search;
    const { nonce } = node.authorize({ authorization: req.headers.get(BROKER_AUTH_HEADER), method: req.method, path, body });
    const bodyless = req.method === "GET" || req.method === "HEAD";
    const verified = new Request(req.url, { method: req.method, headers: req.headers, body: bodyless ? undefined : body, signal: req.signal });
    const answer = await route(served, verified, url);
    const headers = new Headers(answer.headers);
    const type = answer.headers.get("content-type");
    if (isStreamedAnswer(type)) {
      headers.set(BROKER_SIGNATURE_HEADER, node.signAnswer(nonce, answer.status, streamedBodyMark(type ?? "")));
      return new Response(answer.body, { status: answer.status, headers });
    }
    const bytes = new Uint8Array(await answer.arrayBuffer());
    headers.set(BROKER_SIGNATURE_HEADER, node.signAnswer(nonce, answer.status, bytes));
    return new Response(answer.status === 204 ? null : bytes, { status: answer.status, headers });
  } catch (error) {
    if (error instanceof StreamNestError) return Response.json(error.toJSON(), { status: error.status });
    throw error;
  }
}

async function route(served: ServedNode, req: Request, url: URL): Promise<Response> {
  const { node } = served;
  try {
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
