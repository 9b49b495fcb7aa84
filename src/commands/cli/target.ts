import type { PartitionPlacement, StreamNestClient } from "../../client/index.ts";
import { StreamNestError } from "../../lib/errors.ts";
import { topicNameProblem } from "../../lib/topic-name.ts";
import { describeError, usageError } from "./fail.ts";
import type { LineReader } from "./line-reader.ts";
import { log, out } from "./output.ts";

/** Where a producer writes or a consumer reads: a topic and one partition, or all of them. */
export interface Target {
  topic: string;
  partitions: PartitionPlacement[];
  /** undefined: no partition chosen (the producer lets the broker pick, the consumer reads all). */
  partition: number | undefined;
}

/**
 * The seed's first three steps — `Enter topic: `, the partition list, `Partition?> ` —
 * with any answer given as a flag skipping its question. A bad partition typed in the
 * dialogue is asked again; so is a topic that does not exist, when a person types the
 * answers (on a pipe, the next line is not an answer to that question). A bad flag is
 * an error.
 */
export async function chooseTarget(
  client: StreamNestClient,
  flags: { topic?: string; partition?: string },
  input: () => LineReader,
  interactive = process.stdin.isTTY === true,
): Promise<Target> {
  const dialogue = flags.topic === undefined;
  // Ctrl-D at a prompt: end the prompt's line, so that what follows starts a line.
  const ended = async (what: string): Promise<never> => {
    if (interactive) await out("\n");
    throw usageError(`no ${what} given: standard input ended`);
  };
  let topic: string;
  let partitions: PartitionPlacement[];
  for (;;) {
    if (flags.topic === undefined) {
      await out("Enter topic: ");
      const answer = await input().next();
      if (answer === undefined) return ended("topic");
      topic = answer.trim();
    } else topic = flags.topic;
    try {
      const problem = topicNameProblem(topic);
      if (problem) throw usageError(problem);
      partitions = await client.partitionsOf(topic);
      break;
    } catch (error) {
      const wrongAnswer =
        error instanceof StreamNestError && (error.code === "TOPIC_NOT_FOUND" || error.code === "INVALID_REQUEST");
      if (!dialogue || !interactive || !wrongAnswer) throw error;
      log.error(describeError(error));
    }
  }

  if (flags.partition !== undefined) {
    const partition = parsePartition(flags.partition, partitions);
    if (typeof partition === "string") throw usageError(`--partition: ${partition}`);
    if (dialogue) await printPartitions(partitions);
    return { topic, partitions, partition };
  }
  if (!dialogue) return { topic, partitions, partition: undefined };

  await printPartitions(partitions);
  for (;;) {
    await out("Partition?> ");
    const answer = await input().next();
    if (answer === undefined) return ended("partition");
    const partition = parsePartition(answer, partitions);
    if (typeof partition === "number") return { topic, partitions, partition };
    log.error(partition);
  }
}

async function printPartitions(partitions: PartitionPlacement[]): Promise<void> {
  await out(`Partitions:\n${partitions.map((p) => `  ${p.partition} on ${p.broker}\n`).join("")}`);
}

/** The partition number, or why the answer is not one of this topic's partitions. */
export function parsePartition(answer: string, partitions: PartitionPlacement[]): number | string {
  const text = answer.trim();
  const range = partitions.length === 1 ? "the only partition is 0" : `partitions are 0 to ${partitions.length - 1}`;
  if (!/^\d+$/.test(text)) return `"${text}" is not a partition number (${range})`;
  const partition = Number(text);
  if (!partitions.some((p) => p.partition === partition)) return `there is no partition ${partition} (${range})`;
  return partition;
}
