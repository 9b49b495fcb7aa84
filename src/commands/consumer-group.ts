import type { RecordView, StreamNestClient } from "../client/index.ts";
import { GroupClient, type GroupAssignment, type GroupJoinResult } from "../client/groups.ts";
import { StreamNestError } from "../lib/errors.ts";
import { topicNameProblem } from "../lib/topic-name.ts";
import { clientFor } from "./cli/args.ts";
import { describeError, usageError } from "./cli/fail.ts";
import { LineReader } from "./cli/line-reader.ts";
import { exit, log, out } from "./cli/output.ts";
import { recordLine } from "./cli/record-line.ts";
import { loadSchemaCheck, type SchemaCheck } from "./cli/schema-check.ts";
import { CLIENT_LIMITS } from "../config/client.ts";

/**
 * `streamnest consumer --group G --topic T`: a member of a consumer group. It joins,
 * reads the partitions the coordinator assigns from the group's committed offsets,
 * prints as the plain consumer does, and commits what it has printed after each batch
 * (at-least-once, as a Kafka consumer committing after processing). Its heartbeat
 * learns of a rebalance (409): it stops reading, finishes and commits the batch in
 * hand, and joins again, so a partition is handed over only from a committed offset.
 * Ctrl-C (or --max) commits, leaves the group (the others take over at once) and exits.
 */

const LONG_POLL_MS = CLIENT_LIMITS.longPollMs.value;
const READ_MAX = CLIENT_LIMITS.groupConsumerReadMax.value;
const JOIN_WAIT_MS = CLIENT_LIMITS.groupJoinWaitMs.value;
const RETRY_FIRST_MS = CLIENT_LIMITS.retryFirstMs.value;
const RETRY_MAX_MS = CLIENT_LIMITS.retryMaxMs.value;

export interface GroupConsumerOptions {
  group: string;
  topic: string;
  format: "text" | "json";
  max: number | undefined;
  schema: SchemaCheck | undefined;
  /** Label text lines with their partition. */
  labelPartitions: boolean;
  assignor?: "range" | "roundrobin";
  sessionTimeoutMs?: number;
  autoOffsetReset?: "earliest" | "latest";
}

/** Errors after which the member must join again; "fenced" ones with a new member id. */
const REJOIN = new Set(["REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION"]);
const FENCED = new Set(["UNKNOWN_MEMBER_ID", "GROUP_NOT_FOUND"]);

function codeOf(error: unknown): string | undefined {
  return error instanceof StreamNestError ? error.code : undefined;
}

export class GroupConsumer {
  private readonly groups: GroupClient;
  private readonly stopping = new AbortController();
  private memberId: string | undefined;
  /**
   * Per partition: the group's committed offset as this consumer last knew it, and the
   * offset after the last record it printed. They differ while a commit has not got
   * through (the coordinator down or restarting); see settlePending.
   */
  private readonly progress = new Map<string, { committed: number | null; printed: number }>();
  private printed = 0;
  private skipped = 0;

  constructor(
    private readonly client: StreamNestClient,
    private readonly options: GroupConsumerOptions,
  ) {
    this.groups = new GroupClient(client);
  }

  /** Ends the run: the batch in hand is printed and committed, then the member leaves. */
  stop(): void {
    this.stopping.abort();
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  async run(): Promise<void> {
    try {
      while (!this.stopped) {
        const joined = await this.join();
        if (!joined) break;
        await this.consume(joined);
      }
    } finally {
      await this.leave();
    }
    if (this.skipped > 0)
      log.warn(
        `skipped ${this.skipped} message${this.skipped === 1 ? "" : "s"} that did not match the schema (version ${this.options.schema?.version}) of ${this.options.topic}`,
      );
  }

  /** Joins (or rejoins) until the group is stable; undefined when stopped meanwhile. */
  private async join(): Promise<GroupJoinResult | undefined> {
    let retryMs = 0;
    while (!this.stopped) {
      try {
        const answer = await this.groups.join(this.options.group, [this.options.topic], {
          memberId: this.memberId,
          clientId: "streamnest-cli",
          assignor: this.options.assignor,
          sessionTimeoutMs: this.options.sessionTimeoutMs,
          autoOffsetReset: this.options.autoOffsetReset,
          waitMs: JOIN_WAIT_MS,
          // Not cut short by Ctrl-C: the coordinator has already counted this member in
          // and deals it partitions, so the answer's member id is needed to leave, or
          // those partitions would sit unread until the session times out.
        });
        this.memberId = answer.member_id;
        if (this.stopped) return undefined;
        if (answer.state !== "Stable") continue;
        await this.settlePending(answer);
        const parts = answer.assignments.map((a) => a.partition).sort((a, b) => a - b);
        log.info(
          `group ${this.options.group}: generation ${answer.generation}, ${parts.length === 0 ? "no partitions (more members than partitions)" : `partition${parts.length === 1 ? "" : "s"} ${parts.join(", ")}`} of ${this.options.topic}`,
        );
        return answer;
      } catch (error) {
        if (this.stopped) return undefined;
        if (FENCED.has(codeOf(error) ?? "")) {
          this.memberId = undefined;
          continue;
        }
        if (!(error instanceof StreamNestError) || !error.retriable) throw error;
        if (retryMs === 0) log.warn(`joining group ${this.options.group}: ${describeError(error)}; retrying`);
        retryMs = Math.min(RETRY_MAX_MS, retryMs === 0 ? RETRY_FIRST_MS : retryMs * 2);
        await sleep(retryMs, this.stopping.signal);
      }
    }
    return undefined;
  }

  /**
   * A commit that could not get through (its coordinator was down, then came back
   * without this member) would make the partition's next reader print those records
   * again. When the partition comes back to this consumer and nobody has committed it
   * since, the consumer commits what it printed before reading on, so each record is
   * printed once. Updates the assignments' start offsets accordingly.
   */
  private async settlePending(answer: GroupJoinResult): Promise<void> {
    const known = new Map(this.progress);
    this.progress.clear();
    for (const a of answer.assignments) {
      const key = partitionKey(a.topic, a.partition);
      const before = known.get(key);
      if (
        before !== undefined &&
        before.committed === a.committed_offset &&
        (a.committed_offset === null || before.printed > a.committed_offset) &&
        before.printed !== a.offset
      ) {
        try {
          await this.groups.commit(this.options.group, [{ topic: a.topic, partition: a.partition, offset: before.printed }], {
            memberId: answer.member_id,
            generation: answer.generation,
          });
          log.info(`group ${this.options.group}: committed ${a.topic}/${a.partition} at ${before.printed}, printed before the coordinator could record it`);
          a.committed_offset = before.printed;
          a.offset = before.printed;
        } catch (error) {
          log.warn(`group ${this.options.group}: could not commit ${a.topic}/${a.partition} at ${before.printed}: ${describeError(error)}`);
        }
      }
      this.progress.set(key, { committed: a.committed_offset, printed: a.offset });
    }
  }

  /** One generation: read and commit the assigned partitions until a rebalance or stop. */
  private async consume(joined: GroupJoinResult): Promise<void> {
    const generation = new AbortController();
    const onStop = (): void => generation.abort();
    this.stopping.signal.addEventListener("abort", onStop, { once: true });
    const heartbeats = this.heartbeat(joined, generation);
    try {
      // Without partitions there is nothing to read: the heartbeat says when to rejoin.
      if (joined.assignments.length === 0) await heartbeats;
      else await Promise.all(joined.assignments.map((a) => this.follow(joined, a, generation)));
    } finally {
      generation.abort();
      await heartbeats;
      this.stopping.signal.removeEventListener("abort", onStop);
    }
  }

  private async heartbeat(joined: GroupJoinResult, generation: AbortController): Promise<void> {
    const every = joined.heartbeat_interval_ms;
    let failing = false;
    while (!generation.signal.aborted) {
      await sleep(every, generation.signal);
      if (generation.signal.aborted) return;
      try {
        await this.groups.heartbeat(this.options.group, joined.member_id, joined.generation, generation.signal);
        if (failing) log.info(`group ${this.options.group}: heartbeats reach the coordinator again`);
        failing = false;
      } catch (error) {
        if (generation.signal.aborted) return;
        const code = codeOf(error) ?? "";
        if (REJOIN.has(code)) {
          log.info(`group ${this.options.group}: rebalancing`);
          generation.abort();
          return;
        }
        if (FENCED.has(code)) {
          // The coordinator restarted (or expired this member): start over as a new member.
          log.info(`group ${this.options.group}: joining again as a new member (${describeError(error)})`);
          this.memberId = undefined;
          generation.abort();
          return;
        }
        // A broker restarting: keep trying; the session survives a few missed beats.
        if (!failing) log.warn(`group ${this.options.group}: heartbeat failed: ${describeError(error)}; retrying`);
        failing = true;
      }
    }
  }

  private async follow(joined: GroupJoinResult, assignment: GroupAssignment, generation: AbortController): Promise<void> {
    const { topic, partition } = assignment;
    let offset = assignment.offset;
    let retryMs = 0;
    while (!generation.signal.aborted) {
      let records: RecordView[];
      let next: number;
      try {
        const answer = await this.client.readRecords(topic, partition, {
          offset,
          max: READ_MAX,
          timeoutMs: LONG_POLL_MS,
          signal: generation.signal,
        });
        records = answer.records;
        next = answer.next_offset;
      } catch (error) {
        if (generation.signal.aborted) return;
        if (!(error instanceof StreamNestError) || !error.retriable) throw error;
        if (retryMs === 0) log.warn(`partition ${partition}: ${describeError(error)}; retrying`);
        retryMs = Math.min(RETRY_MAX_MS, retryMs === 0 ? RETRY_FIRST_MS : retryMs * 2);
        await sleep(retryMs, generation.signal);
        continue;
      }
      if (retryMs > 0) log.info(`partition ${partition}: reading again`);
      retryMs = 0;
      // A read that lands after the rebalance began is dropped unprinted: its records
      // belong to whoever owns the partition next, from the committed offset.
      if (generation.signal.aborted || records.length === 0) continue;
      const handled = await this.print(partition, records);
      if (handled > 0) {
        offset = handled === records.length ? next : records[handled - 1].offset + 1;
        await this.commitPrinted(joined, topic, partition, offset, generation);
      }
      if (this.options.max !== undefined && this.printed >= this.options.max) {
        this.stop();
        return;
      }
    }
  }

  /** Prints records in order; returns how many were handled before --max was reached. */
  private async print(partition: number, records: RecordView[]): Promise<number> {
    let text = "";
    let handled = 0;
    for (const record of records) {
      if (this.options.max !== undefined && this.printed >= this.options.max) break;
      handled++;
      // A tombstone has no value to check.
      const problem = record.message === null ? undefined : this.options.schema?.problem(record.message);
      if (problem !== undefined) {
        this.skipped++;
        log.warn(`skipped ${this.options.topic}/${partition} offset ${record.offset}: does not match the schema (${problem})`);
        continue;
      }
      text += recordLine(this.options.topic, partition, record, this.options.format, this.options.labelPartitions);
      this.printed++;
    }
    if (text !== "") await out(text);
    return handled;
  }

  /**
   * Commits after printing; a refusal means the partition was handed over, so reading
   * stops. While the coordinator cannot be reached the partition is not read further:
   * the commit is retried until it gets through or the generation ends, so at most one
   * batch is ever printed but not committed.
   */
  private async commitPrinted(
    joined: GroupJoinResult,
    topic: string,
    partition: number,
    offset: number,
    generation: AbortController,
  ): Promise<void> {
    const progress = this.progress.get(partitionKey(topic, partition));
    if (progress) progress.printed = offset;
    let retryMs = 0;
    for (;;) {
      try {
        await this.groups.commit(this.options.group, [{ topic, partition, offset }], {
          memberId: joined.member_id,
          generation: joined.generation,
        });
        if (progress) progress.committed = offset;
        if (retryMs > 0) log.info(`group ${this.options.group}: committed ${topic}/${partition} at ${offset}`);
        return;
      } catch (error) {
        const code = codeOf(error) ?? "";
        if (REJOIN.has(code) || FENCED.has(code)) {
          if (FENCED.has(code)) this.memberId = undefined;
          log.warn(`group ${this.options.group}: commit of ${topic}/${partition} at ${offset} refused: ${describeError(error)}`);
          generation.abort();
          return;
        }
        const retriable = error instanceof StreamNestError && error.retriable;
        if (!retriable || generation.signal.aborted) {
          log.warn(`group ${this.options.group}: commit of ${topic}/${partition} at ${offset} failed: ${describeError(error)}`);
          return;
        }
        if (retryMs === 0)
          log.warn(`group ${this.options.group}: commit of ${topic}/${partition} at ${offset} failed: ${describeError(error)}; retrying`);
        retryMs = Math.min(RETRY_MAX_MS, retryMs === 0 ? RETRY_FIRST_MS : retryMs * 2);
        await sleep(retryMs, generation.signal);
        // Ended meanwhile: the next join commits it if the partition comes back here.
        if (generation.signal.aborted) return;
      }
    }
  }

  private async leave(): Promise<void> {
    const memberId = this.memberId;
    if (memberId === undefined) return;
    this.memberId = undefined;
    try {
      await this.groups.leave(this.options.group, memberId);
    } catch (error) {
      // The session will expire by itself; the group carries on either way.
      if (!FENCED.has(codeOf(error) ?? "")) log.warn(`leaving group ${this.options.group}: ${describeError(error)}`);
    }
  }
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

export interface GroupFlags {
  meta: string | undefined;
  token?: string | undefined;
  group: string;
  topic: string | undefined;
  partition: string | undefined;
  offset: string | undefined;
  latest: boolean | undefined;
  format: "text" | "json";
  max: number | undefined;
  /** The --tls-* flags, as given. */
  "tls-ca"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
}

/**
 * The consumer command with --group: asks only for the topic (the group assigns the
 * partitions), then runs a GroupConsumer until Ctrl-C or --max. --latest sets the
 * group's auto_offset_reset for partitions without a committed offset.
 */
export async function runGroupConsumer(flags: GroupFlags): Promise<void> {
  if (flags.partition !== undefined)
    throw usageError("--partition cannot be used with --group: the group assigns the partitions");
  if (flags.offset !== undefined)
    throw usageError("--offset cannot be used with --group: a group starts at its committed offsets (or --latest)");
  const client = clientFor(flags.meta, { token: flags.token, "tls-ca": flags["tls-ca"], "tls-cert": flags["tls-cert"], "tls-key": flags["tls-key"] });
  let consumer: GroupConsumer | undefined;
  let signalled = false;
  // Ctrl-C: commit and leave the group; a second Ctrl-C exits at once.
  const stop = (): void => {
    if (signalled || !consumer) void exit(0);
    signalled = true;
    consumer?.stop();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  let topic = flags.topic;
  if (topic === undefined) {
    await out("Enter topic: ");
    topic = (await new LineReader(Bun.stdin.stream()).next())?.trim();
    if (topic === undefined) throw usageError("no topic given: standard input ended");
  }
  const problem = topicNameProblem(topic);
  if (problem) throw usageError(problem);
  // An unknown topic is refused here, naming the topics there are, before joining.
  await client.partitionsOf(topic);
  const schema = await loadSchemaCheck(client, topic);
  consumer = new GroupConsumer(client, {
    group: flags.group,
    topic,
    format: flags.format,
    max: flags.max,
    schema,
    // A member reads whichever partitions the group assigns it: every line names its
    // partition, however many the topic has (the flags decide the format, not the topic).
    labelPartitions: true,
    autoOffsetReset: flags.latest === true ? "latest" : "earliest",
  });
  if (signalled) return;
  await consumer.run();
}
