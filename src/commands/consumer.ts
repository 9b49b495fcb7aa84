import { defineCommand } from "citty";
import type { RecordView, StreamNestClient } from "../client/index.ts";
import { followPartition, type StartAt } from "../client/partition-follower.ts";
import { clientFor, integerFlag, metaArg, tlsArgs, tokenArg } from "./cli/args.ts";
import { describeError, guarded, usageError } from "./cli/fail.ts";
import { LineReader } from "./cli/line-reader.ts";
import { exit, log, out } from "./cli/output.ts";
import { recordLine } from "./cli/record-line.ts";
import { loadSchemaCheck, type SchemaCheck } from "./cli/schema-check.ts";
import { chooseTarget } from "./cli/target.ts";
import { runGroupConsumer } from "./consumer-group.ts";
import { CLIENT_LIMITS } from "../config/client.ts";

/** How long one read may wait at the broker for new records before asking again. */
const LONG_POLL_MS = CLIENT_LIMITS.longPollMs.value;
const READ_MAX = CLIENT_LIMITS.consumerReadMax.value;
const PARTITION_WATCH_MS = CLIENT_LIMITS.partitionWatchMs.value;
/** Backoff while the cluster cannot serve a read (a broker restarting, a leader moving). */
const RETRY_FIRST_MS = CLIENT_LIMITS.retryFirstMs.value;
const RETRY_MAX_MS = CLIENT_LIMITS.retryMaxMs.value;

type Format = "text" | "json";

export default defineCommand({
  meta: {
    name: "consumer",
    description:
      "Print a topic's messages from the start and follow new ones live: the interactive dialogue, or --topic to skip it",
  },
  args: {
    meta: metaArg, token: tokenArg, ...tlsArgs,
    topic: { type: "string", valueHint: "name", description: "topic to read (skips the dialogue)" },
    partition: { type: "string", valueHint: "N", description: "partition to read (default with --topic: all of them at once)" },
    "from-beginning": { type: "boolean", description: "start at the oldest message (the default)" },
    offset: { type: "string", valueHint: "N", description: "start at this offset (in every partition read)" },
    latest: { type: "boolean", description: "print only messages that arrive from now on" },
    max: { type: "string", valueHint: "N", description: "stop after this many messages" },
    "exit-at-end": {
      type: "boolean",
      description: "stop at the end of every partition read instead of following it (kcat's -e)",
    },
    format: {
      type: "enum",
      options: ["text", "json"],
      default: "text",
      description: "text: [Offset N] message; json: one object per line",
    },
    group: { type: "string", valueHint: "id", description: "join this consumer group: read the partitions it assigns, commit as you go" },
  },
  async run({ args }) {
    await guarded(async () => {
      const format: Format = args.format === "json" ? "json" : "text";
      const startAt = parseStart(args);
      const max = integerFlag("max", args.max, 1);
      const exitAtEnd = args["exit-at-end"] === true;
      if (args.group !== undefined) {
        if (exitAtEnd) throw usageError("--exit-at-end reads partitions by themselves; a --group member follows what the group assigns");
        await runGroupConsumer({ ...args, group: args.group, format, max });
        return exit(0);
      }
      const client = clientFor(args.meta, args);
      // Ctrl-C: during the dialogue, leave (interrupted, as the producer does); while
      // following, finish the print in hand first and end normally. On a terminal the
      // echoed ^C is followed by a line break, so the shell's prompt starts a line.
      let follower: Follower | undefined;
      const stop = (signal: NodeJS.Signals) => {
        if (process.stdin.isTTY && process.stdout.isTTY) void out("\n");
        if (follower) follower.stop();
        else void exit(signal === "SIGINT" ? 130 : 143);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      let stdin: LineReader | undefined;
      const target = await chooseTarget(
        client,
        { topic: args.topic, partition: args.partition },
        () => (stdin ??= new LineReader(Bun.stdin.stream())),
      );
      const partitions =
        target.partition === undefined ? target.partitions.map((p) => p.partition) : [target.partition];
      const schema = await loadSchemaCheck(client, target.topic);
      follower = new Follower(client, target.topic, partitions, {
        format,
        max,
        schema,
        // What the flags asked for decides the format, not how many partitions the
        // topic has: a script reading "every partition" sees the same lines on 1 or 12.
        labelPartitions: target.partition === undefined,
        exitAtEnd,
        // Every partition, live: partitions added to the topic meanwhile are read too, as a
        // Kafka subscription takes them (they were never read, and nothing said so).
        watchNewPartitions: target.partition === undefined && !exitAtEnd,
      });
      await follower.run(startAt);
      await exit(0);
    });
  },
});

function parseStart(args: { "from-beginning"?: boolean; offset?: string; latest?: boolean }): StartAt {
  const given = [args["from-beginning"] === true, args.offset !== undefined, args.latest === true].filter(Boolean);
  if (given.length > 1) throw usageError("give only one of --from-beginning, --offset and --latest");
  const offset = integerFlag("offset", args.offset, 0);
  if (offset !== undefined) return { from: "offset", offset };
  return args.latest === true ? { from: "latest" } : { from: "beginning" };
}

interface FollowOptions {
  format: Format;
  max: number | undefined;
  schema: SchemaCheck | undefined;
  labelPartitions: boolean;
  /** Stop each partition at the end it had when reached, as kcat's -e (no long polls). */
  exitAtEnd: boolean;
  /** Look for partitions added to the topic and follow them from their first offset. */
  watchNewPartitions: boolean;
}

/**
 * Reads every chosen partition with long polls (the broker answers as soon as a record
 * arrives, so nothing waits on a timer), prints each record in offset order per
 * partition, and stops on --max, on stop(), or (--exit-at-end) once every partition
 * has been read to its end.
 */
class Follower {
  private readonly abort = new AbortController();
  private printed = 0;
  private skipped = 0;

  constructor(
    private readonly client: StreamNestClient,
    private readonly topic: string,
    private readonly partitions: number[],
    private readonly options: FollowOptions,
  ) {}

  async run(startAt: StartAt): Promise<void> {
    const following = new Set(this.partitions);
    const runs = this.partitions.map((p) => this.follow(p, startAt));
    const watching = this.options.watchNewPartitions ? this.watch(following, runs) : Promise.resolve();
    try {
      // Every partition followed, those the watch adds included (runs grows meanwhile).
      for (let awaited = 0; awaited < runs.length; ) {
        const upTo = runs.length;
        await Promise.all(runs.slice(awaited, upTo));
        awaited = upTo;
      }
    } finally {
      this.abort.abort();
      await watching;
    }
    if (this.skipped > 0)
      log.warn(
        `skipped ${this.skipped} message${this.skipped === 1 ? "" : "s"} that did not match the schema (version ${this.options.schema?.version}) of ${this.topic}`,
      );
  }

  stop(): void {
    this.abort.abort();
  }

  /**
   * Every PARTITION_WATCH_MS, the topic's partitions: one not followed yet (added since)
   * is followed from its first offset, all of it having been written after this consumer
   * began. A failed look is tried again at the next tick (the followers say what is wrong).
   */
  private async watch(following: Set<number>, runs: Promise<void>[]): Promise<void> {
    while (!this.stopped) {
      await sleepUnless(PARTITION_WATCH_MS, this.abort.signal);
      if (this.stopped) return;
      let partitions: number[];
      try {
        partitions = (await this.client.partitionsOf(this.topic)).map((p) => p.partition);
      } catch {
        continue;
      }
      for (const partition of partitions) {
        if (following.has(partition) || this.stopped) continue;
        following.add(partition);
        log.info(`partition ${partition} was added to ${this.topic}; reading it from its start`);
        runs.push(this.follow(partition, { from: "beginning" }));
      }
    }
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * One partition, on its own: a partition without a leader (its broker down) is
   * retried quietly after one warning while the others go on printing, and resumes at
   * the offset it had reached once it has a leader again.
   */
  private async follow(partition: number, startAt: StartAt): Promise<void> {
    const records = followPartition(this.client, this.topic, partition, {
      start: startAt,
      signal: this.abort.signal,
      max: READ_MAX,
      longPollMs: LONG_POLL_MS,
      exitAtEnd: this.options.exitAtEnd,
      retryFirstMs: RETRY_FIRST_MS,
      retryMaxMs: RETRY_MAX_MS,
      events: {
        // The first failure of a run says why; the retries after it stay quiet.
        retrying: (error, first) => {
          if (first) log.warn(`partition ${partition}: ${describeError(error)}; retrying`);
        },
        recovered: () => log.info(`partition ${partition}: reading again`),
        skipped: (from, to) => log.warn(`partition ${partition}: offsets ${from} to ${to - 1} no longer exist; reading on from ${to}`),
      },
    });
    for await (const batch of records) {
      await this.print(partition, batch);
      if (this.stopped) return;
    }
  }

  private async print(partition: number, records: RecordView[]): Promise<void> {
    let text = "";
    for (const record of records) {
      if (this.stopped) break;
      // A tombstone has no value to check.
      const problem = record.message === null ? undefined : this.options.schema?.problem(record.message);
      if (problem !== undefined) {
        this.skipped++;
        log.warn(`skipped ${this.topic}/${partition} offset ${record.offset}: does not match the schema (${problem})`);
        continue;
      }
      text += recordLine(this.topic, partition, record, this.options.format, this.options.labelPartitions);
      this.printed++;
      if (this.options.max !== undefined && this.printed >= this.options.max) this.stop();
    }
    if (text !== "") await out(text);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
