/**
 * Truncation under real kill -9: a child process truncates (now and then the whole log,
 * starting over at another offset), appends (appendAt with leader epochs) and moves the
 * high watermark in a loop, and is killed at random moments, often
 * right after it announced a truncation so the kill lands inside one. After every kill the
 * log is reopened and checked against what the child reported.
 */
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { PartitionLog } from "../../src/storage/index.ts";
import { epochOf, recordInEpoch, tempDir } from "./fixtures/records.ts";
import { TRUNCATE_LOOP_OPTIONS } from "./fixtures/truncate-loop.ts";
import { verifyLogFiles } from "./fixtures/verify-log.ts";

const FIXTURE = join(import.meta.dir, "fixtures", "truncate-loop.ts");
const ROUNDS = Number(process.env.STREAMNEST_TRUNCATION_CRASH_ROUNDS ?? 40);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What the log must hold, from the child's reports. */
interface Model {
  /** The log start offset. */
  start: number;
  /** Epoch of each offset from the start known written (acknowledged, or found after recovery). */
  epochs: number[];
  /** Epochs of offsets issued past that, which the kill may or may not have left. */
  issued: number[];
  truncating: { oldEnd: number; offset: number } | null;
  /** A truncateFullyAndStartAt announced and not yet returned. */
  resetting: { oldEnd: number; offset: number } | null;
  /** The highest high watermark the log may report. */
  maxHighWatermark: number;
  truncations: number;
  resets: number;
}

const endOf = (model: Model): number => model.start + model.epochs.length;

function apply(model: Model, line: string): void {
  const [kind, ...args] = line.split(" ");
  const [a, b, c] = args.map(Number);
  switch (kind) {
    case "start":
      expect([a, b]).toEqual([endOf(model), model.maxHighWatermark]);
      break;
    case "issue":
      expect(a).toBe(endOf(model) + model.issued.length);
      for (let i = 0; i < b; i++) model.issued.push(c);
      break;
    case "ack":
      expect(a).toBe(endOf(model) + model.issued.length - 1);
      model.epochs.push(...model.issued.splice(0));
      break;
    case "trunc":
      expect([a, model.issued.length]).toEqual([endOf(model), 0]);
      model.truncating = { oldEnd: a, offset: b };
      break;
    case "reset":
      expect([a, model.issued.length]).toEqual([endOf(model), 0]);
      model.resetting = { oldEnd: a, offset: b };
      break;
    case "reset-done":
      expect(a).toBe(model.resetting?.offset ?? -1);
      model.start = a;
      model.epochs = [];
      model.maxHighWatermark = a;
      model.resetting = null;
      model.resets++;
      break;
    case "truncated":
      expect(a).toBe(model.truncating?.offset ?? -1);
      model.epochs.length = a - model.start;
      model.maxHighWatermark = Math.min(model.maxHighWatermark, a);
      model.truncating = null;
      model.truncations++;
      break;
    case "hw":
      model.maxHighWatermark = Math.max(model.maxHighWatermark, a);
      break;
    default:
      throw new Error(`unexpected line from the child: ${line}`);
  }
}

/** Runs the child until the kill; returns whether the kill came while a truncation was announced. */
async function runAndKill(dir: string, model: Model, round: number): Promise<boolean> {
  const seed = 1 + Math.floor(Math.random() * 2 ** 30);
  const child = Bun.spawn([process.execPath, FIXTURE, dir, String((round + 1) * 100_000), String(seed)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  // Half the rounds kill just after a truncation is announced, the rest after some lines.
  const onTruncation = round % 2 === 0;
  const minLines = 20 + Math.floor(Math.random() * 300);
  const pauseMs = Math.floor(Math.random() * (onTruncation ? 3 : 10));
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let lines = 0;
  let killed = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    const complete = buffered.split("\n");
    buffered = complete.pop() ?? "";
    for (const line of complete) {
      apply(model, line);
      lines++;
      const announced = line.startsWith("trunc ") || line.startsWith("reset ");
      const trigger = onTruncation ? announced && lines >= minLines : lines >= minLines;
      if (!killed && trigger) {
        killed = true;
        // The pipe keeps being drained after the kill, so no report is missed.
        if (pauseMs === 0) child.kill("SIGKILL");
        else setTimeout(() => child.kill("SIGKILL"), pauseMs);
      }
    }
  }
  await child.exited;
  const stderr = await new Response(child.stderr).text();
  expect(stderr).not.toContain("error");
  expect(child.signalCode).toBe("SIGKILL");
  return model.truncating !== null || model.resetting !== null;
}

/** Reopens the log after a kill, checks it against the model, and makes the model what it holds. */
async function verify(dir: string, model: Model): Promise<"old" | "new" | "none"> {
  const warnings: string[] = [];
  const log = PartitionLog.open(dir, TRUNCATE_LOOP_OPTIONS, (m) => warnings.push(m));
  let outcome: "old" | "new" | "none" = "none";
  try {
    expect(warnings.filter((w) => w.includes("corrupt") || w.includes("missing"))).toEqual([]);
    const end = log.logEndOffset;
    const start = log.startOffset;
    if (model.truncating !== null) {
      // Either the old end or the new one, never a third.
      expect([model.truncating.oldEnd, model.truncating.offset]).toContain(end);
      outcome = end === model.truncating.offset && end !== model.truncating.oldEnd ? "new" : "old";
      if (end === model.truncating.offset) {
        model.epochs.length = end - model.start;
        model.maxHighWatermark = Math.min(model.maxHighWatermark, end);
      }
    } else if (model.resetting !== null) {
      // The old log whole, or the new empty one.
      const { oldEnd, offset } = model.resetting;
      const old = start === model.start && end === oldEnd;
      expect(old || (start === offset && end === offset)).toBe(true);
      outcome = old ? "old" : "new";
      if (!old) {
        model.start = offset;
        model.epochs = [];
        model.maxHighWatermark = offset;
      }
    } else {
      // Acknowledged appends are all there; issued ones may be, in order, whole.
      expect(end).toBeGreaterThanOrEqual(endOf(model));
      expect(end).toBeLessThanOrEqual(endOf(model) + model.issued.length);
      model.epochs.push(...model.issued.slice(0, end - endOf(model)));
    }
    expect([start, endOf(model)]).toEqual([model.start, end]);
    const records = end === start ? [] : log.read(start, end - start + 1, 1e9, { upTo: "log-end" });
    const expected = model.epochs.map((epoch, i) => ({ ...recordInEpoch(start + i, epoch), offset: start + i }));
    expect(records).toEqual(expected);
    // Each record's epoch, from the leader-epoch checkpoint, is the one it was written in.
    expect(records.map((r) => log.epochForOffset(r.offset))).toEqual(records.map(epochOf));
    // The high watermark never exposes what it was not set to, nor passes the end.
    expect(log.highWatermark).toBeLessThanOrEqual(Math.min(end, model.maxHighWatermark));
    expect(end === start ? [] : log.read(start, end - start + 1, 1e9)).toEqual(expected.slice(0, log.highWatermark - start));
    model.maxHighWatermark = log.highWatermark;
  } finally {
    await log.close();
  }
  // From the files alone: whole frames passing CRC, no hole, and an index that agrees.
  expect(verifyLogFiles(dir).records.map((r) => r.offset)).toEqual(model.epochs.map((_, i) => model.start + i));
  model.issued = [];
  model.truncating = null;
  model.resetting = null;
  return outcome;
}

test(
  "kill -9 at random moments while truncating and appending leaves the old or the new end, whole, with its index",
  async () => {
    const tmp = tempDir("streamnest-truncation-crash-");
    cleanups.push(tmp.remove);
    const dir = join(tmp.path, "demo-0");
    const model: Model = {
      start: 0,
      epochs: [],
      issued: [],
      truncating: null,
      resetting: null,
      maxHighWatermark: 0,
      truncations: 0,
      resets: 0,
    };
    const outcomes = { old: 0, new: 0, none: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      await runAndKill(dir, model, round);
      outcomes[await verify(dir, model)]++;
    }
    console.log(
      `${ROUNDS} kills: ${model.truncations} truncations and ${model.resets} restarts at an offset completed; killed inside one ` +
        `${outcomes.old + outcomes.new} times (old end ${outcomes.old}, new end ${outcomes.new})`,
    );
    expect(model.truncations).toBeGreaterThan(ROUNDS);
  },
  240_000,
);
