import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { available, hasCommand, run } from "../helpers/external-client.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";

/**
 * kcat (librdkafka 2.x, the C client most Kafka tools are built on) against a real
 * broker: metadata, produce with keys and headers, every codec librdkafka has, reading
 * from the beginning, a balanced-consumer group that commits and resumes after a broker
 * restart, and both doors.
 */

const present = available("kcat", hasCommand("kcat"), "apt-get install -y kcat");
let broker: KafkaBroker;

beforeAll(async () => {
  if (present) broker = await KafkaBroker.start();
});

afterAll(async () => {
  await broker?.stop();
});

const kcat = (args: string[], stdin?: string) => run(["kcat", "-b", broker.bootstrap, ...args], { stdin, timeoutMs: 30_000 });

async function consumeAll(topic: string, format = "%k|%s|%h|%o\\n"): Promise<string[]> {
  const out = await kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format]);
  expect(out.exitCode).toBe(0);
  return out.stdout.split("\n").filter((l) => l !== "");
}

describe.skipIf(!present)("kcat", () => {
  test("-L lists the broker (as the controller) and the topics", async () => {
    await kcat(["-P", "-t", "listed"], "x\n");
    const out = await kcat(["-L"]);
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toContain(`broker 1 at 127.0.0.1:${broker.kafkaPort} (controller)`);
    expect(out.stdout).toContain('topic "listed" with 1 partitions:');
    expect(out.stdout).toContain("partition 0, leader 1, replicas: 1, isrs: 1");
  });

  test("produce with keys and headers, read from the beginning", async () => {
    const out = await kcat(["-P", "-t", "keyed", "-K", ":", "-H", "trace=abc", "-H", "n=1"], "k1:v1\nk2:v2\n");
    expect(out.exitCode).toBe(0);
    expect(await consumeAll("keyed")).toEqual(["k1|v1|trace=abc,n=1|0", "k2|v2|trace=abc,n=1|1"]);
  });

  test("every codec: none, gzip, snappy, lz4, zstd", async () => {
    for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
      const out = await kcat(["-P", "-t", "codecs", "-z", codec, "-K", ":"], `${codec}:${codec}-value-${"x".repeat(200)}\n`);
      expect(out.exitCode).toBe(0);
    }
    expect(await consumeAll("codecs", "%k|%S|%o\\n")).toEqual(["none|211|0", "gzip|211|1", "snappy|213|2", "lz4|210|3", "zstd|211|4"]);
  });

  test("a group commits and resumes where it stopped, across a broker restart", async () => {
    await kcat(["-P", "-t", "grouped", "-K", ":"], "a:1\nb:2\n");
    const group = (topic: string) => kcat(["-G", "kcat-group", topic, "-e", "-q", "-f", "%k=%s@%o\\n", "-X", "auto.offset.reset=earliest"]);
    const first = await group("grouped");
    expect(first.stdout.split("\n").filter((l) => l !== "")).toEqual(["a=1@0", "b=2@1"]);
    await broker.restart();
    await kcat(["-P", "-t", "grouped", "-K", ":"], "c:3\n");
    const second = await group("grouped");
    expect(second.stdout.split("\n").filter((l) => l !== "")).toEqual(["c=3@2"]);
    const http = (await (await fetch(`${broker.url}/groups/kcat-group`)).json()) as { partitions: { committed_offset: number; lag: number }[] };
    expect(http.partitions.map((p) => [p.committed_offset, p.lag])).toEqual([[3, 0]]);
  }, 60_000);

  test("both doors: kcat reads what HTTP wrote, HTTP reads what kcat wrote", async () => {
    const res = await fetch(`${broker.url}/create-topic`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ topic: "kdoors", partitions: 1 }) });
    expect(res.status).toBe(200);
    const produced = await fetch(`${broker.url}/produce`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ topic: "kdoors", key: "hk", message: "from-http", headers: { src: "http" } }),
    });
    expect(produced.status).toBe(200);
    await kcat(["-P", "-t", "kdoors", "-K", ":", "-H", "src=kcat"], "kk:from-kcat\n");
    expect(await consumeAll("kdoors")).toEqual(["hk|from-http|src=http|0", "kk|from-kcat|src=kcat|1"]);
    const read = (await (await fetch(`${broker.url}/topics/kdoors/partitions/0/records?offset=0&max=10`)).json()) as {
      records: { offset: number; key: string; message: string; headers: Record<string, string> }[];
    };
    expect(read.records.map((r) => [r.offset, r.key, r.message, r.headers])).toEqual([
      [0, "hk", "from-http", { src: "http" }],
      [1, "kk", "from-kcat", { src: "kcat" }],
    ]);
  });
});
