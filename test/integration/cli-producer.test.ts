import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamNestClient } from "../../src/client/index.ts";
import { runCli, startBroker, type BrokerProcess } from "../helpers/broker-harness.ts";
import { freePort } from "../helpers/ports.ts";

// Real broker processes on a shared 2-core machine: bun's 5 s default is too tight.
setDefaultTimeout(60_000);

let broker: BrokerProcess;
let stop: () => Promise<void>;
let client: StreamNestClient;
let meta: string;

beforeAll(async () => {
  ({ broker, stop } = await startBroker());
  client = new StreamNestClient(broker.address);
  meta = `--meta=${broker.address}`;
});

afterAll(async () => {
  await stop();
});

/** Every message of a partition, read back through the client. */
async function messagesOf(topic: string, partition: number): Promise<Array<string | null>> {
  const messages: Array<string | null> = [];
  for (let offset = 0; ; ) {
    const read = await client.readRecords(topic, partition, { offset, max: 1000 });
    if (read.records.length === 0) return messages;
    messages.push(...read.records.map((r) => r.message));
    offset = read.next_offset;
  }
}

const noStackTrace = /^\s+at /m;

describe("streamnest producer: the seed's dialogue", () => {
  test("prompts, lists the partitions, and answers each message with its offset", async () => {
    await client.createTopic("demo", 3);
    const { exitCode, stdout, stderr } = await runCli(["producer", meta], {
      stdin: "demo\n1\nhello\nworld\nexit\n",
    });
    expect(stderr).toBe("");
    expect(stdout).toBe(
      "Enter topic: " +
        "Partitions:\n" +
        `  0 on ${broker.address}\n` +
        `  1 on ${broker.address}\n` +
        `  2 on ${broker.address}\n` +
        "Partition?> " +
        "Type messages (or 'exit'):\n" +
        "> offset: 0\n" +
        "> offset: 1\n" +
        "> ",
    );
    expect(exitCode).toBe(0);
    expect(await messagesOf("demo", 1)).toEqual(["hello", "world"]);
  });

  test("end of input ends the dialogue like 'exit'", async () => {
    await client.createTopic("eof", 1);
    const { exitCode, stdout } = await runCli(["producer", meta], { stdin: "eof\n0\nonly" });
    expect(stdout.endsWith("Type messages (or 'exit'):\n> offset: 0\n> ")).toBe(true);
    expect(exitCode).toBe(0);
    expect(await messagesOf("eof", 0)).toEqual(["only"]);
  });

  test("a partition that is not a number or out of range is asked again", async () => {
    await client.createTopic("retry", 2);
    const { exitCode, stdout, stderr } = await runCli(["producer", meta], {
      stdin: "retry\nabc\n5\n1\nm\nexit\n",
    });
    expect(stdout).toBe(
      "Enter topic: Partitions:\n" +
        `  0 on ${broker.address}\n  1 on ${broker.address}\n` +
        "Partition?> Partition?> Partition?> " +
        "Type messages (or 'exit'):\n> offset: 0\n> ",
    );
    expect(stderr).toBe(
      '[error] "abc" is not a partition number (partitions are 0 to 1)\n' +
        "[error] there is no partition 5 (partitions are 0 to 1)\n",
    );
    expect(exitCode).toBe(0);
    expect(await messagesOf("retry", 1)).toEqual(["m"]);
  });

  test("a refused message prints the broker's reason and the dialogue goes on", async () => {
    await client.createTopic("typed", 1);
    await client.registerSchema("typed", { type: "object", required: ["id"], properties: { id: { type: "integer" } } });
    const { exitCode, stdout, stderr } = await runCli(["producer", meta], {
      stdin: 'typed\n0\nnot json\n{"id":"x"}\n{"id":7}\nexit\n',
    });
    expect(stdout.endsWith("Type messages (or 'exit'):\n> > > offset: 0\n> ")).toBe(true);
    const lines = stderr.trimEnd().split("\n");
    expect(lines.length).toBe(2);
    expect(lines[0].startsWith("[error] refused: ")).toBe(true);
    expect(lines[0]).toContain("not valid JSON");
    expect(lines[1].startsWith("[error] refused: ")).toBe(true);
    expect(lines[1]).toContain("/id");
    expect(exitCode).toBe(0);
    expect(await messagesOf("typed", 0)).toEqual(['{"id":7}']);
  });

  test("an unknown topic says so, lists the topics there are, and exits 1", async () => {
    const { exitCode, stdout, stderr } = await runCli(["producer", meta], { stdin: "nope\n" });
    expect(stdout).toBe("Enter topic: ");
    const topics = (await client.listTopics()).sort().join(", ");
    expect(stderr).toBe(`[error] topic "nope" does not exist on ${broker.address}; topics there are: ${topics}\n`);
    expect(exitCode).toBe(1);
  });

  test("an unreachable broker is one line naming the address tried, exit 1", async () => {
    const port = await freePort();
    const { exitCode, stdout, stderr } = await runCli(["producer", `--meta=localhost:${port}`], { stdin: "demo\n" });
    expect(stdout).toBe("Enter topic: ");
    expect(stderr).toBe(`[error] cannot reach the broker at localhost:${port} (connection refused)\n`);
    expect(exitCode).toBe(1);
  });
});

describe("streamnest producer with flags", () => {
  test("sends every piped line in order, batched, without a dialogue", async () => {
    await client.createTopic("piped", 1);
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`);
    const { exitCode, stdout, stderr } = await runCli(["producer", meta, "--topic=piped", "--partition=0"], {
      stdin: `${lines.join("\n")}\n`,
    });
    expect(stdout).toBe("");
    expect(stderr).toBe("[success] sent 5000 messages to piped partition 0\n");
    expect(exitCode).toBe(0);
    expect(await messagesOf("piped", 0)).toEqual(lines);
  });

  test("--key sends every line to the key's partition; --file reads a file", async () => {
    await client.createTopic("keyed", 4);
    const dir = mkdtempSync(join(tmpdir(), "streamnest-cli-"));
    try {
      const file = join(dir, "lines.txt");
      writeFileSync(file, "a\nb\r\nc");
      const { exitCode, stderr } = await runCli(["producer", meta, "--topic=keyed", "--key=user-42", `--file=${file}`]);
      expect(stderr).toBe("[success] sent 3 messages to keyed\n");
      expect(exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const where = await client.produce("keyed", "probe", { key: "user-42" });
    expect(await messagesOf("keyed", where.partition)).toEqual(["a", "b", "c", "probe"]);
  });

  test("a line that is not UTF-8 text is refused by number, never stored mangled; the text lines are stored", async () => {
    await client.createTopic("bytes", 1);
    const dir = mkdtempSync(join(tmpdir(), "streamnest-cli-"));
    try {
      const file = join(dir, "mixed.bin");
      // A BOM first (dropped), a text line, a binary line, a text line, a last line cut inside a character.
      writeFileSync(
        file,
        Buffer.concat([
          Buffer.from([0xef, 0xbb, 0xbf]),
          Buffer.from("zoë\n"),
          Buffer.from([0xff, 0xfe, 0x00, 0x0a]),
          Buffer.from("after\r\n"),
          Buffer.from([0x61, 0xc3]),
        ]),
      );
      const { exitCode, stdout, stderr } = await runCli(["producer", meta, "--topic=bytes", `--file=${file}`]);
      expect(stdout).toBe("");
      expect(stderr).toBe(
        "[error] line 2 refused: not UTF-8 text (messages are text; encode binary data, e.g. as base64)\n" +
          "[error] line 4 refused: not UTF-8 text (messages are text; encode binary data, e.g. as base64)\n" +
          "[success] sent 2 messages to bytes\n" +
          "[error] 2 of 4 lines refused\n",
      );
      expect(exitCode).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await messagesOf("bytes", 0)).toEqual(["zoë", "after"]);
  });

  test("--file reads a device or a pipe as well as a file", async () => {
    await client.createTopic("devices", 1);
    const { exitCode, stderr } = await runCli(["producer", meta, "--topic=devices", "--file=/dev/null"]);
    expect(stderr).toBe("[success] sent 0 messages to devices\n");
    expect(exitCode).toBe(0);
  });

  test("refused lines are reported by number, the others are stored, and the exit code is 1", async () => {
    await client.createTopic("strict", 1);
    await client.registerSchema("strict", { type: "object", required: ["n"] });
    const { exitCode, stderr } = await runCli(["producer", meta, "--topic=strict"], {
      stdin: '{"n":1}\nbad\n{"n":3}\n{}\n',
    });
    const lines = stderr.trimEnd().split("\n");
    expect(lines[0].startsWith("[error] line 2 refused: ")).toBe(true);
    expect(lines[1].startsWith("[error] line 4 refused: ")).toBe(true);
    expect(lines.slice(2)).toEqual(["[success] sent 2 messages to strict", "[error] 2 of 4 lines refused"]);
    expect(exitCode).toBe(1);
    expect(await messagesOf("strict", 0)).toEqual(['{"n":1}', '{"n":3}']);
  });

  test("bad flags are one clear line each and exit 1", async () => {
    await client.createTopic("flags", 2);
    const cases: Array<[string[], string]> = [
      [[meta, "--topic=flags", "--partition=abc"], '[error] --partition: "abc" is not a partition number (partitions are 0 to 1)\n'],
      [[meta, "--topic=flags", "--partition=2"], "[error] --partition: there is no partition 2 (partitions are 0 to 1)\n"],
      [[meta, "--topic=../x"], `[error] topic name "../x" may contain only ASCII letters, digits, '.', '_' and '-'\n`],
      [[meta, "--file=/nonexistent/file"], "[error] --file needs --topic\n"],
      [[meta, "--topic=flags", "--file=/nonexistent/file"], "[error] cannot read /nonexistent/file: no such file\n"],
      [[meta, "--topic=flags", `--file=${tmpdir()}`], `[error] cannot read ${tmpdir()}: it is a folder, not a file\n`],
      [["--meta=nohostport", "--topic=flags"], '[error] "nohostport" is not a broker address (expected host:port)\n'],
      // A misspelt flag must not be ignored: the line would go round-robin instead.
      [[meta, "--topic=flags", "--partiton=1"], "[error] unknown option --partiton for streamnest producer (did you mean --partition?)\n"],
      [[meta, "--topic", "--partition=1"], "[error] --topic needs a value: --topic=<name>\n"],
    ];
    for (const [args, expected] of cases) {
      const { exitCode, stdout, stderr } = await runCli(["producer", ...args], { stdin: "m\n" });
      expect(stderr).toBe(expected);
      expect(stderr).not.toMatch(noStackTrace);
      expect(stdout).toBe("");
      expect(exitCode).toBe(1);
    }
    expect(await messagesOf("flags", 0)).toEqual([]);
    expect(await messagesOf("flags", 1)).toEqual([]);
  });

  test("an unknown topic with --topic lists the topics there are", async () => {
    const { exitCode, stderr } = await runCli(["producer", meta, "--topic=missing"], { stdin: "m\n" });
    expect(stderr).toStartWith(`[error] topic "missing" does not exist on ${broker.address}; topics there are: `);
    expect(stderr).toContain("piped");
    expect(exitCode).toBe(1);
  });
});
