import { closeSync, createReadStream, openSync, statSync } from "node:fs";
import { Readable } from "node:stream";
import { defineCommand } from "citty";
import {
  isBatchItemError,
  isUnreachable,
  type BatchItemResult,
  type BatchMessage,
  type StreamNestClient,
} from "../client/index.ts";
import { StreamNestError } from "../lib/errors.ts";
import { clientFor, metaArg, tlsArgs, tokenArg } from "./cli/args.ts";
import { describeError, guarded, surelyNotStored, usageError } from "./cli/fail.ts";
import { LineReader, NotTextLine } from "./cli/line-reader.ts";
import { exit, log, out } from "./cli/output.ts";
import { produceBatchRetrying, retryingSend } from "./cli/produce-retry.ts";
import { chooseTarget, type Target } from "./cli/target.ts";
import { CLIENT_LIMITS } from "../config/client.ts";

/** Set while lines are being sent: says, on Ctrl-C, which lines were stored. */
let interrupted: (() => void) | undefined;

/** Lines per batch request: big enough to amortise a request, small enough to stream. */
const BATCH_MESSAGES = CLIENT_LIMITS.producerBatchMessages.value;
/** Kept well under the broker's body limit so a batch is never refused for its size. */
const BATCH_BYTES = CLIENT_LIMITS.producerBatchBytes.value;

export default defineCommand({
  meta: {
    name: "producer",
    description:
      "Send messages to a topic: the interactive dialogue, or with --topic one message per line of standard input (or --file)",
  },
  args: {
    meta: metaArg, token: tokenArg, ...tlsArgs,
    topic: { type: "string", valueHint: "name", description: "topic to write to (skips the dialogue; lines come from stdin)" },
    partition: { type: "string", valueHint: "N", description: "partition to write to (default: by key, else round-robin)" },
    key: { type: "string", valueHint: "key", description: "key of every message (picks the partition as Kafka's default partitioner)" },
    file: { type: "string", valueHint: "path", description: "with --topic: send the lines of this file instead of standard input" },
  },
  async run({ args }) {
    await guarded(async () => {
      if (args.file !== undefined && args.topic === undefined) throw usageError("--file needs --topic");
      if (args.file !== undefined) checkReadable(args.file);
      const client = clientFor(args.meta, args);
      let stdin: LineReader | undefined;
      const input = () => (stdin ??= new LineReader(Bun.stdin.stream()));
      // Ctrl-C: leave at once; what the broker acknowledged is already stored, and a run
      // of lines says how far it got.
      process.on("SIGINT", () => {
        if (process.stdin.isTTY) void out("\n");
        interrupted?.();
        void exit(130);
      });
      const target = await chooseTarget(client, { topic: args.topic, partition: args.partition }, input);
      if (args.topic === undefined) await dialogue(client, target, args.key, input());
      else
        await sendLines(
          client,
          target,
          args.key,
          args.file === undefined ? input() : new LineReader(fileStream(args.file)),
          args.file === undefined ? undefined : fileSize(args.file),
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

/**
 * The file's bytes. Bun.file streams a regular file or a pipe (`--file=<(cmd)`) but
 * fails on a character device such as /dev/null; node's stream reads any of them.
 */
function fileStream(path: string): ReadableStream<Uint8Array> {
  if (statSync(path).isFile()) return Bun.file(path).stream();
  return Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
}

/** The size of a regular file, for the progress line; a pipe's is not known. */
function fileSize(path: string): number | undefined {
  const stat = statSync(path);
  return stat.isFile() ? stat.size : undefined;
}

/** The seed's dialogue: `> ` for each message, `offset: N` once the broker has it. */
async function dialogue(client: StreamNestClient, target: Target, key: string | undefined, input: LineReader) {
  await out("Type messages (or 'exit'):\n");
  for (;;) {
    await out("> ");
    let line: string | undefined;
    try {
      line = await input.next();
    } catch (error) {
      if (!(error instanceof NotTextLine)) throw error;
      log.error(`refused: ${error.message}`);
      continue;
    }
    if (line === undefined) {
      // End of input (Ctrl-D on a terminal): end the prompt's line as Enter would have.
      if (process.stdin.isTTY) await out("\n");
      break;
    }
    if (line.trim() === "exit") break;
    try {
      const result = await retryingSend(() => client.produce(target.topic, line, { partition: target.partition, key }), {
        retrying: (error) => log.warn(`${describeError(error)}; retrying`),
      });
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
  // A script that resends after Ctrl-C needs to know where to start, as after an error.
  interrupted = () => {
    // At a terminal the SIGINT handler has already ended the progress line.
    if (!process.stdin.isTTY) progress?.done();
    if (count.lines > 0)
      log.info(
        `interrupted: ${count.lines === 1 ? "line 1 was" : `lines 1-${count.lines} were`} answered (${count.sent} stored)`,
      );
    if (inFlight > 0) log.warn(unanswered(count.lines, inFlight));
  };
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
    if (inFlight > 0 && !surelyNotStored(error)) log.warn(unanswered(count.lines, inFlight));
    throw error;
  } finally {
    interrupted = undefined;
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

function unanswered(answered: number, inFlight: number): string {
  if (inFlight === 1)
    return `line ${answered + 1} was sent but not answered: it may or may not be stored (check before sending it again)`;
  return `lines ${answered + 1}-${answered + inFlight} were sent but not answered: they may or may not be stored (check before sending them again)`;
}

/** One line of input in a batch: a message to send, or a line that cannot be one. */
type Slot = BatchMessage | NotTextLine;

/** The next line, waited for, and every line already read after it, up to a batch. */
async function nextBatch(input: LineReader, partition: number | undefined, key: string | undefined): Promise<Slot[]> {
  const batch: Slot[] = [];
  let bytes = 0;
  for (let first = true; batch.length < BATCH_MESSAGES && bytes < BATCH_BYTES; first = false) {
    let line: string | undefined;
    try {
      line = first ? await input.next() : input.nextBuffered();
    } catch (error) {
      if (!(error instanceof NotTextLine)) throw error;
      batch.push(error);
      continue;
    }
    if (line === undefined) break;
    batch.push({ message: line, partition, key });
    bytes += line.length + 64;
  }
  return batch;
}

async function sendBatch(
  client: StreamNestClient,
  topic: string,
  batch: Slot[],
  count: { lines: number; sent: number; refused: number },
): Promise<void> {
  const firstLine = count.lines + 1;
  const messages = batch.filter((slot): slot is BatchMessage => !(slot instanceof NotTextLine));
  let results: BatchItemResult[] = [];
  try {
    if (messages.length > 0)
      results = await produceBatchRetrying(client, topic, messages, {
        retrying: (error) => log.warn(`lines ${firstLine}-${firstLine + batch.length - 1}: ${describeError(error)}; retrying`),
      });
  } catch (error) {
    // A request refused as a whole (a line over the body limit, say) refuses its lines;
    // the broker being gone or failing ends the run.
    if (!(error instanceof StreamNestError) || error.status >= 500) throw error;
    log.error(`lines ${firstLine}-${firstLine + batch.length - 1} refused: ${describeError(error)}`);
    count.lines += batch.length;
    count.refused += batch.length;
    return;
  }
  let answered = 0;
  batch.forEach((slot, i) => {
    const result = slot instanceof NotTextLine ? slot : results[answered++];
    if (result instanceof NotTextLine || isBatchItemError(result)) {
      count.refused++;
      log.error(`line ${firstLine + i} refused: ${result instanceof NotTextLine ? NotTextLine.reason : result.message}`);
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
      this.totalBytes !== undefined && Number.isFinite(this.totalBytes) && this.totalBytes > 0 ? ` (${Math.min(100, Math.floor((bytesRead / this.totalBytes) * 100))}%)` : "";
    process.stderr.write(`\rsent ${sent} message${sent === 1 ? "" : "s"}${percent}`);
  }

  done(): void {
    if (this.last > 0) process.stderr.write("\n");
  }
}
