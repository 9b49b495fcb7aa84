import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { StreamNestClient } from "../../src/client/index.ts";
import { runCli, startBroker, type BrokerProcess } from "../helpers/broker-harness.ts";
import { freePort } from "../helpers/ports.ts";
import { streamnestCommand } from "../helpers/streamnest-command.ts";
import { RunningCli } from "../commands/running-cli.ts";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too tight.
setDefaultTimeout(60_000);

let broker: BrokerProcess;
let stop: () => Promise<void>;
let client: StreamNestClient;
let meta: string;
const running: RunningCli[] = [];

beforeAll(async () => {
  ({ broker, stop } = await startBroker());
  client = new StreamNestClient(broker.address);
  meta = `--meta=${broker.address}`;
});

afterAll(async () => {
  for (const cli of running) cli.kill();
  await stop();
});

function start(args: string[], stdin?: string): RunningCli {
  const cli = new RunningCli(args, stdin);
  running.push(cli);
  return cli;
}

const noStackTrace = /^\s+at /m;

describe("streamnest consumer: the seed's dialogue", () => {
  test("prompts, lists the partitions, prints every message from offset 0, follows, and Ctrl-C exits 0", async () => {
    await client.createTopic("demo", 2);
    await client.produceBatch("demo", [
      { message: "hello", partition: 1 },
      { message: "other partition", partition: 0 },
      { message: "world", partition: 1 },
    ]);
    const consumer = start(["consumer", meta], "demo\n1\n");
    await consumer.waitForStdout("[Offset 1] world\n");
    // Produced while the consumer follows: it must appear without any restart.
    await client.produce("demo", "live", { partition: 1 });
    await consumer.waitForStdout("[Offset 2] live\n");
    expect(await consumer.signal("SIGINT")).toBe(0);
    expect(consumer.stdout).toBe(
      "Enter topic: " +
        "Partitions:\n" +
        `  0 on ${broker.address}\n` +
        `  1 on ${broker.address}\n` +
        "Partition?> " +
        "[Offset 0] hello\n" +
        "[Offset 1] world\n" +
        "[Offset 2] live\n",
    );
    expect(consumer.stderr).toBe("");
  });

  test("a bad partition is asked again; --max ends the run", async () => {
    await client.createTopic("again", 1);
    await client.produceBatch("again", [{ message: "a" }, { message: "b" }, { message: "c" }]);
    const { exitCode, stdout, stderr } = await runCli(["consumer", meta, "--max=2"], { stdin: "again\nx\n1\n0\n" });
    expect(stdout).toBe(
      `Enter topic: Partitions:\n  0 on ${broker.address}\nPartition?> Partition?> Partition?> [Offset 0] a\n[Offset 1] b\n`,
    );
    expect(stderr).toBe(
      '[error] "x" is not a partition number (the only partition is 0)\n' +
        "[error] there is no partition 1 (the only partition is 0)\n",
    );
    expect(exitCode).toBe(0);
  });

  test("an unknown topic says so and lists the topics there are", async () => {
    const { exitCode, stdout, stderr } = await runCli(["consumer", meta], { stdin: "ghost\n" });
    expect(stdout).toBe("Enter topic: ");
    const topics = (await client.listTopics()).sort().join(", ");
    expect(stderr).toBe(`[error] topic "ghost" does not exist on ${broker.address}; topics there are: ${topics}\n`);
    expect(exitCode).toBe(1);
  });

  test("input that ends before a partition is given is an error, not a hang", async () => {
    const { exitCode, stderr } = await runCli(["consumer", meta], { stdin: "demo\n" });
    expect(stderr).toBe("[error] no partition given: standard input ended\n");
    expect(exitCode).toBe(1);
  });
});

describe("streamnest consumer with flags", () => {
  test("reads back many piped lines with --max, in order", async () => {
    await client.createTopic("bulk", 1);
    const lines = Array.from({ length: 3000 }, (_, i) => `message number ${i}`);
    const produced = await runCli(["producer", meta, "--topic=bulk"], { stdin: `${lines.join("\n")}\n` });
    expect(produced.exitCode).toBe(0);
    const { exitCode, stdout, stderr } = await runCli([
      "consumer",
      meta,
      "--topic=bulk",
      "--partition=0",
      `--max=${lines.length}`,
    ]);
    expect(stderr).toBe("");
    expect(stdout).toBe(lines.map((line, offset) => `[Offset ${offset}] ${line}\n`).join(""));
    expect(exitCode).toBe(0);
  });

  test("--format json prints one object per record with every field", async () => {
    await client.createTopic("json", 1);
    await client.produce("json", '{"a":1}', { key: "k1", headers: { trace: "t-1" } });
    await client.produce("json", "plain\ttext");
    const { exitCode, stdout } = await runCli(["consumer", meta, "--topic=json", "--max=2", "--format=json"]);
    expect(exitCode).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.length).toBe(2);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const record of records) {
      expect(Object.keys(record)).toEqual(["topic", "partition", "offset", "key", "message", "headers", "timestamp"]);
      expect(typeof record.timestamp).toBe("number");
    }
    expect(records.map(({ timestamp: _, ...rest }) => rest)).toEqual([
      { topic: "json", partition: 0, offset: 0, key: "k1", message: '{"a":1}', headers: { trace: "t-1" } },
      { topic: "json", partition: 0, offset: 1, key: null, message: "plain\ttext", headers: {} },
    ]);
  });

  test("without --partition every partition is followed, each in offset order", async () => {
    await client.createTopic("spread", 3);
    const lines = Array.from({ length: 300 }, (_, i) => `m${i}`);
    expect((await runCli(["producer", meta, "--topic=spread"], { stdin: `${lines.join("\n")}\n` })).exitCode).toBe(0);
    const { exitCode, stdout } = await runCli(["consumer", meta, "--topic=spread", "--max=300", "--format=json"]);
    expect(exitCode).toBe(0);
    const records = stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { partition: number; offset: number; message: string });
    expect(records.map((r) => r.message).sort()).toEqual([...lines].sort());
    const partitions = new Set(records.map((r) => r.partition));
    expect(partitions.size).toBe(3);
    for (const p of partitions) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  test("text output labels the partition when several are followed", async () => {
    await client.createTopic("labels", 2);
    await client.produce("labels", "p1", { partition: 1 });
    const { exitCode, stdout } = await runCli(["consumer", meta, "--topic=labels", "--max=1"]);
    expect(exitCode).toBe(0);
    expect(stdout).toBe("[Partition 1] [Offset 0] p1\n");
  });

  test("a 1-partition topic read without --partition still labels each line with its partition", async () => {
    await client.createTopic("single", 1);
    await client.produce("single", "only");
    const { exitCode, stdout } = await runCli(["consumer", meta, "--topic=single", "--max=1"]);
    expect(exitCode).toBe(0);
    expect(stdout).toBe("[Partition 0] [Offset 0] only\n");
    const one = await runCli(["consumer", meta, "--topic=single", "--partition=0", "--max=1"]);
    expect(one.stdout).toBe("[Offset 0] only\n");
    const member = await runCli(["consumer", meta, "--topic=single", "--group=solo", "--max=1"]);
    expect(member.exitCode).toBe(0);
    expect(member.stdout).toBe("[Partition 0] [Offset 0] only\n");
  });

  test("--exit-at-end stops at the end of every partition read, even when --max is not reached", async () => {
    await client.createTopic("ends", 3);
    await client.produceBatch("ends", [
      { message: "a", partition: 0 },
      { message: "b", partition: 2 },
      { message: "c", partition: 2 },
    ]);
    const all = await runCli(["consumer", meta, "--topic=ends", "--max=10", "--exit-at-end"]);
    expect(all.exitCode).toBe(0);
    expect(all.stderr).toBe("");
    expect(all.stdout.split("\n").filter(Boolean).sort()).toEqual([
      "[Partition 0] [Offset 0] a",
      "[Partition 2] [Offset 0] b",
      "[Partition 2] [Offset 1] c",
    ]);
    const one = await runCli(["consumer", meta, "--topic=ends", "--partition=2", "--offset=1", "--exit-at-end"]);
    expect(one).toMatchObject({ exitCode: 0, stdout: "[Offset 1] c\n" });
    const empty = await runCli(["consumer", meta, "--topic=ends", "--partition=1", "--exit-at-end"]);
    expect(empty).toMatchObject({ exitCode: 0, stdout: "" });
    const latest = await runCli(["consumer", meta, "--topic=ends", "--latest", "--exit-at-end"]);
    expect(latest).toMatchObject({ exitCode: 0, stdout: "" });
  });

  test("--exit-at-end with --group is refused: a member follows what the group assigns", async () => {
    const { exitCode, stdout, stderr } = await runCli(["consumer", meta, "--topic=ends", "--group=g", "--exit-at-end"]);
    expect(exitCode).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe("[error] --exit-at-end reads partitions by themselves; a --group member follows what the group assigns\n");
  });

  test("--offset starts there; --latest prints only what arrives after the start", async () => {
    await client.createTopic("starts", 1);
    await client.produceBatch("starts", [{ message: "s0" }, { message: "s1" }, { message: "s2" }]);
    const fromOffset = await runCli(["consumer", meta, "--topic=starts", "--partition=0", "--offset=2", "--max=1"]);
    expect(fromOffset.stdout).toBe("[Offset 2] s2\n");
    expect(fromOffset.exitCode).toBe(0);

    const latest = start(["consumer", meta, "--topic=starts", "--partition=0", "--latest", "--max=1"]);
    // The consumer has its start offset once it is waiting; a produce before that would
    // also be "latest", so keep producing until one arrives.
    let n = 0;
    const producing = (async () => {
      while (!latest.stdout.includes("[Offset")) {
        await client.produce("starts", `new${n++}`);
        await Bun.sleep(200);
      }
    })();
    expect(await latest.exited()).toBe(0);
    await producing;
    expect(latest.stdout).toMatch(/^\[Offset (\d+)\] new\d+\n$/);
    const offset = Number(/^\[Offset (\d+)\]/.exec(latest.stdout)?.[1]);
    expect(offset).toBeGreaterThanOrEqual(3);
  });

  test("live follow: a message produced while the consumer runs appears", async () => {
    await client.createTopic("live", 1);
    const consumer = start(["consumer", meta, "--topic=live", "--partition=0"]);
    await client.produce("live", "first");
    await consumer.waitForStdout("[Offset 0] first\n");
    await client.produce("live", "second");
    await consumer.waitForStdout("[Offset 1] second\n");
    expect(await consumer.signal("SIGINT")).toBe(0);
    expect(consumer.stdout).toBe("[Offset 0] first\n[Offset 1] second\n");
  });

  test("every partition, live: a partition added while it runs is read too, from its first offset", async () => {
    await client.createTopic("growing", 1);
    const consumer = start(["consumer", meta, "--topic=growing"]);
    await client.produce("growing", "in p0", { partition: 0 });
    await consumer.waitForStdout("[Partition 0] [Offset 0] in p0\n");
    await client.createPartitions("growing", 2);
    await client.produce("growing", "in p1", { partition: 1 });
    await consumer.waitForStdout("[Partition 1] [Offset 0] in p1\n");
    expect(await consumer.signal("SIGINT")).toBe(0);
    expect(consumer.stdout).toBe("[Partition 0] [Offset 0] in p0\n[Partition 1] [Offset 0] in p1\n");
  });

  test("a schema-aware consumer skips stored messages that fail the topic's schema, with a warning", async () => {
    await client.createTopic("checked", 1);
    await client.produceBatch("checked", [{ message: '{"id":1}' }, { message: "not json" }, { message: '{"id":"two"}' }]);
    await client.registerSchema("checked", {
      type: "object",
      required: ["id"],
      properties: { id: { type: "integer" } },
    });
    await client.produce("checked", '{"id":4}');
    const { exitCode, stdout, stderr } = await runCli(["consumer", meta, "--topic=checked", "--max=2"]);
    expect(exitCode).toBe(0);
    expect(stdout).toBe('[Partition 0] [Offset 0] {"id":1}\n[Partition 0] [Offset 3] {"id":4}\n');
    expect(stderr).toBe(
      "[warn] skipped checked/0 offset 1: does not match the schema (not JSON)\n" +
        "[warn] skipped checked/0 offset 2: does not match the schema (/id must be integer)\n" +
        "[warn] skipped 2 messages that did not match the schema (version 1) of checked\n",
    );
  });

  test("errors with flags: one clear line each, exit 1", async () => {
    await client.createTopic("errs", 2);
    const port = await freePort();
    const cases: Array<[string[], string]> = [
      [[meta, "--topic=errs", "--partition=two"], '[error] --partition: "two" is not a partition number (partitions are 0 to 1)\n'],
      [[meta, "--topic=errs", "--partition=2"], "[error] --partition: there is no partition 2 (partitions are 0 to 1)\n"],
      [[meta, "--topic=errs", "--offset=-1"], '[error] --offset must be a whole number (0 or more), not "-1"\n'],
      [[meta, "--topic=errs", "--max=0"], '[error] --max must be a whole number of at least 1, not "0"\n'],
      [[meta, "--topic=errs", "--latest", "--offset=3"], "[error] give only one of --from-beginning, --offset and --latest\n"],
      [
        [meta, "--topic=errs", "--group=g1", "--partition=0"],
        "[error] --partition cannot be used with --group: the group assigns the partitions\n",
      ],
      [[`--meta=localhost:${port}`, "--topic=errs"], `[error] cannot reach the broker at localhost:${port} (connection refused)\n`],
    ];
    for (const [args, expected] of cases) {
      const { exitCode, stdout, stderr } = await runCli(["consumer", ...args]);
      expect(stderr).toBe(expected);
      expect(stderr).not.toMatch(noStackTrace);
      expect(stdout).toBe("");
      expect(exitCode).toBe(1);
    }
  });

  test("flags citty would take wrongly are one clear line, exit 1, before anything runs", async () => {
    const cases: Array<[string[], string]> = [
      [[meta, "--topic=errs", "--format=xml"], '[error] --format must be one of text, json, not "xml"\n'],
      [[meta, "--topic=errs", "--form-beginning"], "[error] unknown option --form-beginning for streamnest consumer (did you mean --from-beginning?)\n"],
      [[meta, "--topic=errs", "--offset"], "[error] --offset needs a value: --offset=<N>\n"],
      [[meta, "--topic=errs", "--latest=yes"], '[error] --latest is a switch and takes no value, not "yes"\n'],
      [[meta, "errs"], '[error] unexpected argument "errs": streamnest consumer takes only options (see streamnest consumer --help)\n'],
    ];
    for (const [args, expected] of cases) {
      const { exitCode, stdout, stderr } = await runCli(["consumer", ...args]);
      expect(stderr).toBe(expected);
      expect(stdout).toBe("");
      expect(exitCode).toBe(1);
    }
  });
});

describe("streamnest consumer: where its output goes", () => {
  /** Runs a bash script in which CLI stands for the streamnest command line; answers what it printed. */
  async function shell(script: string, args: string[]): Promise<{ exitCode: number; output: string }> {
    const quoted = [...streamnestCommand(), ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const proc = Bun.spawn(["bash", "-c", script.replace("CLI", quoted)], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1" },
    });
    const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    return { exitCode, output: stdout };
  }

  test("piped into `head -n 3`, it ends quietly with exit 0 once head has gone", async () => {
    // More than a pipe holds (64 KiB), so a write must meet the closed pipe.
    await client.createTopic("headed", 1);
    await client.produceBatch("headed", Array.from({ length: 400 }, (_, i) => ({ message: `${i} ${"x".repeat(1000)}` })));
    const { exitCode, output } = await shell(
      'CLI 2>&1 | head -n 3 | cut -c1-5; echo "consumer exit ${PIPESTATUS[0]}"',
      ["consumer", meta, "--topic=headed"],
    );
    expect(output).toBe("[Part\n[Part\n[Part\nconsumer exit 0\n");
    expect(exitCode).toBe(0);
  });

  test.skipIf(!existsSync("/dev/full"))("output that cannot be written (a full disk) is an error, exit 1, not a success", async () => {
    await client.createTopic("full", 1);
    await client.produce("full", "lost");
    const { exitCode, output } = await shell('CLI 2>&1 >/dev/full; echo "exit $?"', ["consumer", meta, "--topic=full", "--max=1"]);
    expect(output).toBe("[error] cannot write to standard output: ENOSPC: no space left on device, write\nexit 1\n");
    expect(exitCode).toBe(0);
  });
});
