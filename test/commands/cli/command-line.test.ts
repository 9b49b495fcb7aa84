import { describe, expect, test } from "bun:test";
import { defineCommand } from "citty";
import { closest, commandLineProblem } from "../../../src/commands/cli/command-line.ts";
import broker from "../../../src/commands/broker.ts";
import consumer from "../../../src/commands/consumer.ts";
import producer from "../../../src/commands/producer.ts";
import topics from "../../../src/commands/topics.ts";

// The real commands under a root shaped as src/main.ts builds it (lazily resolved).
const root = defineCommand({
  meta: { name: "streamnest" },
  subCommands: {
    broker: () => broker,
    producer: () => Promise.resolve(producer),
    consumer,
    topics,
  },
});

async function problem(...args: string[]): Promise<string | undefined> {
  return (await commandLineProblem(root, args))?.message;
}

describe("commandLineProblem", () => {
  test("a well-formed command line has none", async () => {
    for (const args of [
      ["producer", "--meta=localhost:1", "--topic=t", "--partition=1", "--key=", "--file", "f.txt"],
      ["producer", "--topic", "t", "--key", "-1"],
      ["consumer", "--topic=t", "--from-beginning", "--format", "json", "--max=3"],
      ["consumer", "--fromBeginning", "--latest=false", "--no-latest"],
      ["topics", "create", "demo", "--partitions=3"],
      ["topics", "create", "--partitions", "3", "demo"],
      ["topics", "describe", "--", "demo"],
      ["broker", "--id=1", "--port=9000", "--data-dir", "d"],
      ["--version"],
      ["-v"],
      // citty shows the help, whatever else is there.
      ["producer", "--bogus", "--help"],
      ["nonsense", "-h"],
    ])
      expect({ args, problem: await problem(...args) }).toEqual({ args, problem: undefined });
  });

  test("an unknown option is named, with the nearest known one", async () => {
    expect(await problem("producer", "--partiton=1", "--topic=t")).toBe(
      "unknown option --partiton for streamnest producer (did you mean --partition?)",
    );
    expect(await problem("broker", "--id=1", "--prot=9000")).toBe(
      "unknown option --prot for streamnest broker (did you mean --port?)",
    );
    expect(await problem("consumer", "--bogus")).toBe(
      "unknown option --bogus for streamnest consumer (see streamnest consumer --help)",
    );
    expect(await problem("consumer", "-x")).toBe("unknown option -x for streamnest consumer (see streamnest consumer --help)");
    expect(await problem("topics", "list", "--partitions=2")).toBe(
      "unknown option --partitions for streamnest topics list (see streamnest topics list --help)",
    );
  });

  test("a flag that needs a value does not swallow the next flag", async () => {
    expect(await problem("producer", "--topic", "--meta=localhost:1")).toBe("--topic needs a value: --topic=<name>");
    expect(await problem("consumer", "--topic=t", "--offset")).toBe("--offset needs a value: --offset=<N>");
    expect(await problem("consumer", "--format")).toBe("--format needs a value: --format=<text|json>");
  });

  test("switches take no value but true or false; only switches have a --no- form", async () => {
    expect(await problem("consumer", "--latest=yes")).toBe('--latest is a switch and takes no value, not "yes"');
    expect(await problem("consumer", "--no-topic")).toBe(
      "--topic is not a switch: --no-topic means nothing (see streamnest consumer --help)",
    );
  });

  test("an enum value outside its options is one line listing them", async () => {
    expect(await problem("consumer", "--format=xml")).toBe('--format must be one of text, json, not "xml"');
    expect(await problem("topics", "list", "--format", "yaml")).toBe('--format must be one of text, json, not "yaml"');
  });

  test("unknown, misspelt and missing commands", async () => {
    expect(await problem("foo")).toBe(
      'unknown command "foo" for streamnest; the commands are broker, producer, consumer, topics',
    );
    expect(await problem("prodcuer", "--topic=t")).toBe(
      'unknown command "prodcuer" for streamnest (did you mean producer?); the commands are broker, producer, consumer, topics',
    );
    expect(await problem("topics", "creat", "x")).toBe(
      'unknown command "creat" for streamnest topics (did you mean create?); the commands are list, create, describe, alter, delete',
    );
    const none = await commandLineProblem(root, []);
    expect(none?.message).toBe("no command given: streamnest takes one of broker, producer, consumer, topics");
    expect(none?.usage?.cmd).toBe(root);
    const noTopicsCommand = await commandLineProblem(root, ["topics"]);
    expect(noTopicsCommand?.message).toBe(
      "no command given: streamnest topics takes one of list, create, describe, alter, delete",
    );
    expect(noTopicsCommand?.usage?.cmd).toBe(topics);
    expect(noTopicsCommand?.usage?.path).toEqual(["streamnest", "topics"]);
  });

  test("options before the command word are shown where they go", async () => {
    expect(await problem("--meta=localhost:1", "producer", "--topic=t")).toBe(
      "--meta=localhost:1 goes after the command: streamnest producer --meta=localhost:1",
    );
    expect(await problem("--bogus")).toBe("unknown option --bogus for streamnest (see streamnest --help)");
  });

  test("extra and missing positional arguments", async () => {
    expect(await problem("topics", "create", "a", "b")).toBe(
      'unexpected argument "b": streamnest topics create takes <NAME> once (see streamnest topics create --help)',
    );
    expect(await problem("topics", "list", "extra")).toBe(
      'unexpected argument "extra": streamnest topics list takes only options (see streamnest topics list --help)',
    );
    expect(await problem("consumer", "--topic=t", "--", "--max=3")).toBe(
      'unexpected argument "--max=3": streamnest consumer takes only options (see streamnest consumer --help)',
    );
    expect(await problem("topics", "create", "--partitions=2")).toBe(
      "missing the topic name: streamnest topics create <NAME>",
    );
    expect(await problem("topics", "delete")).toBe("missing the topic name: streamnest topics delete <NAME>");
  });
});

describe("closest", () => {
  test("finds a typo's word, counting a swap of two letters as one slip", () => {
    expect(closest("partiton", ["partition", "key"])).toBe("partition");
    expect(closest("prot", ["port", "peers"])).toBe("port");
    expect(closest("max", ["meta", "offset"])).toBeUndefined();
    expect(closest("zzzzzz", ["topic"])).toBeUndefined();
  });
});
