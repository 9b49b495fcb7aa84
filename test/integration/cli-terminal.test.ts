import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { StreamNestClient } from "../../src/client/index.ts";
import { startBroker, type BrokerProcess } from "../helpers/broker-harness.ts";
import { Terminal } from "../helpers/terminal.ts";

/**
 * The producer's and consumer's dialogues typed at a real terminal: a wrong answer is
 * asked again, Ctrl-D and Ctrl-C at a prompt end the program with the cursor on a fresh
 * line, one clear line of error, and the exit code a shell expects.
 */

setDefaultTimeout(60_000);

let broker: BrokerProcess;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ broker, stop } = await startBroker());
  await new StreamNestClient(broker.address).createTopic("typed", 2);
});

afterAll(async () => {
  await stop();
});

const noStackTrace = /^\s+at /m;

/** What the screen shows after index `at`, without the terminal's carriage returns. */
function after(term: Terminal, at: number): string {
  return term.screen.slice(at).replace(/\r/g, "");
}

describe.skipIf(!Terminal.available)("the dialogues at a terminal", () => {
  test("a topic that does not exist, or is no topic name, is asked again; then the dialogue goes on", async () => {
    const term = new Terminal(["producer", `--meta=${broker.address}`]);
    let at = await term.waitFor("Enter topic: ");
    term.type("nosuch\n");
    at = await term.waitFor(`[error] topic "nosuch" does not exist on ${broker.address}; topics there are: typed\r\n`, at);
    at = await term.waitFor("Enter topic: ", at);
    term.type("bad name\n");
    at = await term.waitFor("may contain only ASCII letters", at);
    at = await term.waitFor("Enter topic: ", at);
    term.type("typed\n");
    at = await term.waitFor("Partition?> ", at);
    term.type("1\n");
    at = await term.waitFor("> ", await term.waitFor("Type messages (or 'exit'):", at));
    term.type("hello\n");
    at = await term.waitFor("offset: 0", at);
    term.type("\x04");
    expect(await term.exited()).toBe(0);
    expect(term.lines).not.toMatch(noStackTrace);
    const read = await new StreamNestClient(broker.address).readRecords("typed", 1, { offset: 0 });
    expect(read.records.map((r) => r.message)).toEqual(["hello"]);
  });

  test("Ctrl-D at a prompt: the error starts its own line, exit 1", async () => {
    for (const program of ["producer", "consumer"]) {
      const term = new Terminal([program, `--meta=${broker.address}`]);
      let at = await term.waitFor("Enter topic: ");
      term.type("\x04");
      expect(await term.exited()).toBe(1);
      expect(after(term, at)).toBe("\n[error] no topic given: standard input ended\n");

      const again = new Terminal([program, `--meta=${broker.address}`]);
      at = await again.waitFor("Enter topic: ");
      again.type("typed\n");
      at = await again.waitFor("Partition?> ", at);
      again.type("\x04");
      expect(await again.exited()).toBe(1);
      expect(after(again, at)).toBe("\n[error] no partition given: standard input ended\n");
    }
  });

  test("Ctrl-C at a prompt: exit 130 on a fresh line, for the producer and the consumer alike", async () => {
    for (const program of ["producer", "consumer"]) {
      const term = new Terminal([program, `--meta=${broker.address}`]);
      const at = await term.waitFor("Enter topic: ");
      term.type("\x03");
      expect(await term.exited()).toBe(130);
      expect(after(term, at)).toBe("^C\n");
    }
  });

  test("Ctrl-C while the producer sends typed lines: exit 130, saying which lines were stored", async () => {
    const client = new StreamNestClient(broker.address);
    await client.createTopic("interrupted", 1);
    const term = new Terminal(["producer", `--meta=${broker.address}`, "--topic=interrupted"]);
    term.type("first\n");
    // The progress line on the terminal's stderr shows once the broker has answered.
    const at = await term.waitFor("sent 1 message");
    term.type("\x03");
    expect(await term.exited()).toBe(130);
    expect(after(term, at)).toBe("^C\n[info] interrupted: line 1 was answered (1 stored)\n");
    const read = await client.readRecords("interrupted", 0, { offset: 0 });
    expect(read.records.map((r) => r.message)).toEqual(["first"]);
  });

  test("Ctrl-C while the consumer follows: it ends normally, on a fresh line", async () => {
    await new StreamNestClient(broker.address).produce("typed", "follow me", { partition: 0 });
    const term = new Terminal(["consumer", `--meta=${broker.address}`, "--topic=typed", "--partition=0"]);
    const at = await term.waitFor("[Offset 0] follow me\r\n");
    term.type("\x03");
    expect(await term.exited()).toBe(0);
    expect(after(term, at)).toBe("^C\n");
  });
});
