import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { run, SYSTEM_PYTHON } from "../helpers/external-client.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";

/**
 * The scenarios every Python client runs against a real broker (kafka-clients/*.py do
 * the client's side, one action per run, answering in JSON): produce with keys and
 * headers in each codec the client has, read from the beginning, a group that commits
 * and resumes after a broker restart, and both doors.
 */

interface Read {
  offset: number;
  partition: number;
  key: string | null;
  value: string;
  headers: [string, string][];
  timestamp: number;
}

export function pythonClientSuite(name: string, script: string, codecs: string[], present: boolean, extra?: (client: () => PythonClient) => void): void {
  let broker: KafkaBroker;
  let client: PythonClient;
  beforeAll(async () => {
    if (!present) return;
    broker = await KafkaBroker.start();
    client = new PythonClient(script, () => broker);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  describe.skipIf(!present)(name, () => {
    test(`produce with keys and headers in ${codecs.join(", ")}; read from the beginning`, async () => {
      for (const codec of codecs) {
        const { offsets } = await client.json<{ offsets: number[] }>(["produce", `codecs-${codec}`, codec, "3"]);
        expect(offsets).toEqual([0, 1, 2]);
        const read = await client.json<Read[]>(["consume", `codecs-${codec}`, "3"]);
        expect(read).toEqual(
          [0, 1, 2].map((i) => ({ offset: i, partition: 0, key: `k${i}`, value: `${codec}-${i}`, headers: [["codec", codec]], timestamp: 1700000000000 + i })),
        );
      }
    }, 90_000);

    test("a group commits, and resumes where it stopped after a broker restart", async () => {
      await client.json(["produce", "py-group", "none", "3"]);
      const first = await client.json<Read[]>(["group", "py-group", "py-g", "3"]);
      expect(first.map((r) => r.offset)).toEqual([0, 1, 2]);
      await broker.restart();
      await client.json(["produce", "py-group", "none", "2"]);
      const second = await client.json<Read[]>(["group", "py-group", "py-g", "2"]);
      expect(second.map((r) => [r.offset, r.key])).toEqual([
        [3, "k0"],
        [4, "k1"],
      ]);
      const http = (await (await fetch(`${broker.url}/groups/py-g`)).json()) as { partitions: { committed_offset: number; lag: number }[] };
      expect(http.partitions.map((p) => [p.committed_offset, p.lag])).toEqual([[5, 0]]);
    }, 90_000);

    test("both doors: the client reads what HTTP wrote, HTTP reads what the client wrote", async () => {
      const res = await fetch(`${broker.url}/create-topic`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ topic: "py-doors", partitions: 1 }) });
      expect(res.status).toBe(200);
      const produced = await fetch(`${broker.url}/produce`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ topic: "py-doors", key: "hk", message: "from-http", headers: { src: "http" } }),
      });
      const { offset } = (await produced.json()) as { offset: number };
      expect(offset).toBe(0);
      await client.json(["produce", "py-doors", "none", "1"]);
      const read = await client.json<Read[]>(["consume", "py-doors", "2"]);
      expect(read.map((r) => [r.offset, r.key, r.value, r.headers])).toEqual([
        [0, "hk", "from-http", [["src", "http"]]],
        [1, "k0", "none-0", [["codec", "none"]]],
      ]);
      const http = (await (await fetch(`${broker.url}/topics/py-doors/partitions/0/records?offset=0&max=10`)).json()) as {
        records: { offset: number; key: string; message: string; headers: Record<string, string>; timestamp: number }[];
      };
      expect(http.records.map((r) => [r.offset, r.key, r.message, r.headers, r.timestamp === read[r.offset].timestamp])).toEqual([
        [0, "hk", "from-http", { src: "http" }, true],
        [1, "k0", "none-0", { codec: "none" }, true],
      ]);
    }, 60_000);

    extra?.(() => client);
  });
}

export class PythonClient {
  constructor(
    private readonly script: string,
    private readonly broker: () => KafkaBroker,
  ) {}

  async json<T = unknown>(args: string[]): Promise<T> {
    const out = await run([SYSTEM_PYTHON, join(import.meta.dir, "kafka-clients", this.script), this.broker().bootstrap, ...args], { timeoutMs: 60_000 });
    if (out.exitCode !== 0) throw new Error(`${this.script} ${args.join(" ")} exited with ${out.exitCode}:\n${out.stderr}\n${out.stdout}`);
    return JSON.parse(out.stdout) as T;
  }
}
