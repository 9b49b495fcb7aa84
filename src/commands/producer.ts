import { closeSync, openSync, statSync } from "node:fs";
import { defineCommand } from "citty";
import { isBatchItemError, isUnreachable, type BatchMessage, type StreamNestClient } from "../client/index.ts";
import { StreamNestError } from "../lib/errors.ts";
import { clientFor, metaArg } from "./cli/args.ts";
import { describeError, guarded, surelyNotStored, usageError } from "./cli/fail.ts";
import { LineReader } from "./cli/line-reader.ts";
import { exit, log, out } from "./cli/output.ts";
import { chooseTarget, type Target } from "./cli/target.ts";

/** Lines per batch request: big enough to amortise a request, small enough to stream. */
const BATCH_MESSAGES = 1000;
/** Kept well under the broker's body limit so a batch is never refused for its size. */
const BATCH_BYTES = 512 * 1024;

export default defineCommand({
  meta: {
    name: "producer",
    description:
      "Send messages to a topic: the interactive dialogue, or with --topic one message per line of standard input (or --file)",
  },
  args: {
    meta: metaArg,
    topic: { type: "string", valueHint: "name", description: "topic to write to (skips the dialogue; lines come from stdin)" },
    partition: { type: "string", valueHint: "N", description: "partition to write to (default: by key, else round-robin)" },
    key: { type: "string", valueHint: "key", description: "key of every message (picks the partition as Kafka's default partitioner)" },
    file: { type: "string", valueHint: "path", description: "with --topic: send the lines of this file instead of standard input" },
  },
  async run({ args }) {
    await guarded(async () => {
      if (args.file !== undefined && args.topic === undefined) throw usageError("--file needs --topic");
      if (args.file !== undefined) checkReadable(args.file);
      const client = clientFor(args.meta);
      let stdin: LineReader | undefined;
      const input = () => (stdin ??= new LineReader(Bun.stdin.stream()));
      // Ctrl-C: leave at once; what the broker acknowledged is already stored.
      process.on("SIGINT", () => {
        if (process.stdin.isTTY) void out("\n");
        void exit(130);
      });
      const target = await chooseTarget(client, { topic: args.topic, partition: args.partition }, input);
      if (args.topic === undefined) await dialogue(client, target, args.key, input());
      else
        await sendLines(
          client,
          target,
          args.key,
          args.file === undefined ? input() : new LineReader(Bun.file(args.file).stream()),
          args.file === undefined ? undefined : Bun.file(args.file).size,
        );
    });
  },
});

/** Refuses a --file that is missing, a folder or unreadable, in one line naming it. */
function checkReadable(path: string): void {
  try {
    if (statSync(path).isDirectory()) throw usageError(`cannot read ${path}: it is a folder, not a file`);
    closeSync(openSync(path, "r"));
  } catch (error) {
    if (error instanceof StreamNestError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" || code === "EPERM" ? "permission denied" : (error as Error).message;
    throw usageError(`cannot read ${path}: ${why}`);
  }
}

/** The seed's dialogue: `> ` for each message, `offset: N` once the broker has it. */
async function dialogue(client: StreamNestClient, target: Target, key: string | undefined, input: LineReader) {
  await out("Type messages (or 'exit'):\n");
  for (;;) {
    await out("> ");
    const line = await input.next();
    if (line === undefined) {
      // End of input (Ctrl-D on a terminal): end the prompt's line as Enter would have.
      if (process.stdin.isTTY) await out("\n");
      break;
    }
    if (line.trim() === "exit") break;
    try {
      const result = await client.produce(target.topic, line, { partition: target.partition, key });
      await out(`offset: ${result.offset}\n`);
    } catch (error) {
      if (isUnreachable(error) || !(error instanceof StreamNestError)) throw error;
      log.error(`refused: ${describeError(error)}`);
    }
  }
  await exit(0);
}

/**
 * Every line of the input as one message, sent in batches (one request carries every
 * line that has already arrived, up to a limit), so a pipe of a million lines is a
 * thousand requests and a line typed at a terminal still goes at once. Batches go one
 * after another, so lines with one key keep their order in their partition.
 */
async function sendLines(
  client: StreamNestClient,
  target: Target,
  key: string | undefined,
  input: LineReader,
  totalBytes: number | undefined,
) {
  const progress = process.stderr.isTTY ? new Progress(totalBytes) : undefined;
  const count = { lines: 0, sent: 0, refused: 0 };
  let inFlight = 0;
  try {
    for (let batch = await nextBatch(input, target.partition, key); batch.length > 0; ) {
      inFlight = batch.length;
      await sendBatch(client, target.topic, batch, count);
      inFlight = 0;
      progress?.update(count.sent, input.bytesRead);
      batch = await nextBatch(input, target.partition, key);
    }
  } catch (error) {
    progress?.done();
    // Say how far it got, so that a script knows which lines to send again.
    if (count.lines > 0) log.info(`lines 1-${count.lines} were answered before the error (${count.sent} stored)`);
    // A batch whose answer never came (the broker died, the connection broke) may be
    // stored or not: say which lines, rather than let them pass for unsent.
    if (inFlight > 0 && !surelyNotStored(error))
      log.warn(
        `lines ${count.lines + 1}-${count.lines + inFlight} were sent but not answered: they may or may not be stored (check before sending them again)`,
      );
    throw error;
  }
  progress?.done();
  const where = target.partition === undefined ? target.topic : `${target.topic} partition ${target.partition}`;
  log.success(`sent ${count.sent} message${count.sent === 1 ? "" : "s"} to ${where}`);
  if (count.refused > 0) {
    log.error(`${count.refused} of ${count.lines} lines refused`);
    await exit(1);
  }
  await exit(0);
}

/** The next line, waited for, and every line already read after it, up to a batch. */
async function nextBatch(input: LineReader, partition: number | undefined, key: string | undefined) {
  const batch: BatchMessage[] = [];
  let bytes = 0;
  for (let line = await input.next(); line !== undefined; line = input.nextBuffered()) {
    batch.push({ message: line, partition, key });
    bytes += line.length + 64;
    if (batch.length >= BATCH_MESSAGES || bytes >= BATCH_BYTES) break;
  }
  return batch;
}

async function sendBatch(
  client: StreamNestClient,
  topic: string,
  batch: BatchMessage[],
  count: { lines: number; sent: number; refused: number },
): Promise<void> {
  const firstLine = count.lines + 1;
  let results;
  try {
    results = await client.produceBatch(topic, batch);
  } catch (error) {
    // A request refused as a whole (a line over the body limit, say) refuses its lines;
    // the broker being gone or failing ends the run.
    if (!(error instanceof StreamNestError) || error.status >= 500) throw error;
    log.error(`lines ${firstLine}-${firstLine + batch.length - 1} refused: ${describeError(error)}`);
    count.lines += batch.length;
    count.refused += batch.length;
    return;
  }
  results.forEach((result, i) => {
    if (isBatchItemError(result)) {
      count.refused++;
      log.error(`line ${firstLine + i} refused: ${result.message}`);
    } else count.sent++;
  });
  count.lines += batch.length;
}

/** One line on a terminal's stderr, rewritten in place at most a few times a second. */
class Progress {
  private last = 0;
  constructor(private readonly totalBytes: number | undefined) {}

  update(sent: number, bytesRead: number): void {
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const percent =
      this.totalBytes && this.totalBytes > 0 ? ` (${Math.min(100, Math.floor((bytesRead / this.totalBytes) * 100))}%)` : "";
    process.stderr.write(`\rsent ${sent} messages${percent}`);
  }

  done(): void {
    if (this.last > 0) process.stderr.write("\n");
  }
}
