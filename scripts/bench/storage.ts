/**
 * Storage benchmark: the partition log alone, no HTTP.
 *   bun scripts/bench.ts storage
 * Append throughput per record size, batch size and fsync mode; read latency, single-read
 * rate and 1000-record batch-read rate at random offsets in a small and a 10,000,000-record
 * partition; open time of the large one after a clean close and after kill -9; peak RSS;
 * index bytes per record.
 *
 * Run directly with `--child <dir>` it is the process that gets killed: it opens the
 * partition and appends until it dies.
 */
import { mkdtempSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PartitionLog } from "../../src/storage/index.ts";
import type { FsyncMode, RecordInput } from "../../src/storage/types.ts";

const APPEND_RUN_MS = 1000;
const BIG_RECORDS = Number(process.env.STREAMNEST_BENCH_BIG_RECORDS ?? 10_000_000);
const BIG_BATCH = 10_000;
const READ_SAMPLES = 20_000;
/** Records per read in the batch-read row, as the HTTP benchmark's batch reads ask for. */
const BATCH_READ = 1000;
const READ_RUN_MS = 2000;

function records(count: number, valueBytes: number): RecordInput[] {
  const value = new Uint8Array(valueBytes).fill(0x61);
  const timestamp = Date.now();
  return Array.from({ length: count }, () => ({ key: null, value, headers: [], timestamp }));
}

function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), "streamnest-bench-storage-"));
}

interface AppendRow {
  fsync: FsyncMode;
  valueBytes: number;
  batch: number;
  concurrency: number;
  recordsPerSecond: number;
  mbPerSecond: number;
}

async function measureAppend(fsync: FsyncMode, valueBytes: number, batch: number, concurrency: number): Promise<AppendRow> {
  const root = tempRoot();
  const log = PartitionLog.open(join(root, "p"), { fsync, fsyncIntervalMs: 1000 }, () => {});
  const batchRecords = records(batch, valueBytes);
  let appended = 0;
  const started = performance.now();
  const deadline = started + APPEND_RUN_MS;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await log.append(batchRecords);
      appended += batch;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const bytes = log.sizeBytes;
  await log.close();
  rmSync(root, { recursive: true, force: true });
  return {
    fsync,
    valueBytes,
    batch,
    concurrency,
    recordsPerSecond: appended / seconds,
    mbPerSecond: bytes / seconds / 1e6,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** p50/p99 in microseconds of single-record reads at uniformly random offsets. */
function readLatency(log: PartitionLog): { p50: number; p99: number } {
  const samples = new Float64Array(READ_SAMPLES);
  const span = log.endOffset - log.startOffset;
  for (let i = 0; i < READ_SAMPLES; i++) {
    const offset = log.startOffset + Math.floor(Math.random() * span);
    const t0 = Bun.nanoseconds();
    const [record] = log.read(offset, 1, 1024 * 1024);
    samples[i] = (Bun.nanoseconds() - t0) / 1000;
    if (record.offset !== offset) throw new Error(`read ${offset} returned ${record.offset}`);
  }
  samples.sort();
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Records/s of `size`-record reads at uniformly random offsets, for about `ms`. */
function batchReadRate(log: PartitionLog, size: number, ms: number): number {
  const span = log.endOffset - log.startOffset - size;
  let records = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 10; i++) {
      const offset = log.startOffset + Math.floor(Math.random() * span);
      const batch = log.read(offset, size, 1024 * 1024);
      if (batch.length !== size || batch[size - 1].offset !== offset + size - 1) throw new Error(`read ${offset} returned ${batch.length} records`);
      records += batch.length;
    }
    elapsed = performance.now() - started;
  }
  return records / (elapsed / 1000);
}

/** Single-record reads/s at uniformly random offsets, one after another, for about `ms`. */
function singleReadRate(log: PartitionLog, ms: number): number {
  const span = log.endOffset - log.startOffset;
  let reads = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 100; i++) {
      const offset = log.startOffset + Math.floor(Math.random() * span);
      if (log.read(offset, 1, 1024 * 1024)[0].offset !== offset) throw new Error(`read ${offset} returned another record`);
    }
    reads += 100;
    elapsed = performance.now() - started;
  }
  return reads / (elapsed / 1000);
}

async function fill(log: PartitionLog, count: number, valueBytes: number, batch: number): Promise<void> {
  const batchRecords = records(batch, valueBytes);
  for (let done = 0; done < count; done += batch) {
    await log.append(done + batch <= count ? batchRecords : batchRecords.slice(0, count - done));
  }
}

function timeOpen(dir: string): { ms: number; log: PartitionLog } {
  const t0 = performance.now();
  const log = PartitionLog.open(dir, { fsync: "never" }, () => {});
  return { ms: performance.now() - t0, log };
}

/** Starts a child appending to `dir`, waits until it has acknowledged appends, kills it with SIGKILL. */
async function killWhileAppending(dir: string): Promise<number> {
  const child = Bun.spawn([process.execPath, import.meta.path, "--child", dir], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let acks = 0;
  while (acks < 200) {
    const { value, done } = await reader.read();
    if (done) throw new Error("benchmark child exited before appending");
    text += decoder.decode(value, { stream: true });
    const lines = text.split("\n");
    text = lines.pop() ?? "";
    acks += lines.filter((l) => l.startsWith("ack")).length;
  }
  child.kill("SIGKILL");
  await child.exited;
  return acks;
}

async function child(dir: string): Promise<void> {
  const log = PartitionLog.open(dir, { fsync: "never" }, () => {});
  const batch = records(100, 16);
  for (;;) {
    const result = await log.append(batch);
    writeSync(1, `ack ${result.lastOffset}\n`);
  }
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padStart(widths[i])).join(" | ")} |`;
  return [line(headers), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.map(line)].join("\n");
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

export async function run(): Promise<void> {
  // Append throughput.
  const appendRows: AppendRow[] = [];
  for (const fsync of ["always", "interval", "never"] as const) {
    for (const valueBytes of [100, 1024]) {
      for (const [batch, concurrency] of [
        [1, 1],
        [1, 64],
        [1000, 1],
      ]) {
        appendRows.push(await measureAppend(fsync, valueBytes, batch, concurrency));
      }
    }
  }
  console.log("Append throughput (value bytes = record value; key null, no headers; ~1 s per row)\n");
  console.log(
    table(
      ["fsync", "value bytes", "batch", "concurrent appenders", "records/s", "MB/s (on disk)"],
      appendRows.map((r) => [r.fsync, r.valueBytes, r.batch, r.concurrency, fmt(r.recordsPerSecond), fmt(r.mbPerSecond, 1)]),
    ),
  );

  // Reads in a small partition.
  const smallRoot = tempRoot();
  const small = PartitionLog.open(join(smallRoot, "p"), { fsync: "never" }, () => {});
  await fill(small, 10_000, 100, 1000);
  const smallLatency = readLatency(small);
  const smallBatchRate = batchReadRate(small, BATCH_READ, READ_RUN_MS);
  const smallSingleRate = singleReadRate(small, READ_RUN_MS);
  await small.close();
  rmSync(smallRoot, { recursive: true, force: true });

  // The 10M-record partition.
  const bigRoot = tempRoot();
  const bigDir = join(bigRoot, "p");
  const results: (string | number)[][] = [];
  try {
    let log = PartitionLog.open(bigDir, { fsync: "never" }, () => {});
    const t0 = performance.now();
    await fill(log, BIG_RECORDS, 16, BIG_BATCH);
    const buildSeconds = (performance.now() - t0) / 1000;
    const bigLatency = readLatency(log);
    const bigBatchRate = batchReadRate(log, BATCH_READ, READ_RUN_MS);
    const bigSingleRate = singleReadRate(log, READ_RUN_MS);
    const logBytes = log.sizeBytes;
    await log.close();
    const indexBytes = statSync(join(bigDir, "index.sqlite")).size;

    const clean = timeOpen(bigDir);
    log = clean.log;
    const cleanLatency = readLatency(log);
    await log.close();

    const acks = await killWhileAppending(bigDir);
    const afterKill = timeOpen(bigDir);
    const endAfterKill = afterKill.log.endOffset;
    await afterKill.log.close();

    const big = fmt(BIG_RECORDS);
    rmSync(join(bigDir, "index.sqlite"));
    rmSync(join(bigDir, "index.sqlite-wal"), { force: true });
    rmSync(join(bigDir, "index.sqlite-shm"), { force: true });
    const rebuilt = timeOpen(bigDir);
    await rebuilt.log.close();

    results.push(
      ["records in the large partition", big],
      [`build (16 B values, batches of ${fmt(BIG_BATCH)}, fsync never)`, `${fmt(buildSeconds, 1)} s (${fmt(BIG_RECORDS / buildSeconds)} records/s)`],
      ["segment bytes / index bytes", `${fmt(logBytes / 1e6)} MB / ${fmt(indexBytes / 1e6)} MB`],
      ["index bytes per record", fmt(indexBytes / BIG_RECORDS, 1)],
      ["read p50 / p99, 10,000 records", `${fmt(smallLatency.p50, 1)} µs / ${fmt(smallLatency.p99, 1)} µs`],
      [`read p50 / p99, ${big} records`, `${fmt(bigLatency.p50, 1)} µs / ${fmt(bigLatency.p99, 1)} µs`],
      [`read p50 / p99, ${big} records, right after reopen`, `${fmt(cleanLatency.p50, 1)} µs / ${fmt(cleanLatency.p99, 1)} µs`],
      [`single-record reads/s, 10,000 records`, fmt(smallSingleRate)],
      [`single-record reads/s, ${big} records`, fmt(bigSingleRate)],
      [`batch read records/s (${fmt(BATCH_READ)} per read), 10,000 records`, fmt(smallBatchRate)],
      [`batch read records/s (${fmt(BATCH_READ)} per read), ${big} records`, fmt(bigBatchRate)],
      [`open ${big}-record partition after clean close`, `${fmt(clean.ms, 1)} ms`],
      [`open ${big}-record partition after kill -9 of an appender (${fmt(acks)} acked batches)`, `${fmt(afterKill.ms, 1)} ms (end offset ${fmt(endAfterKill)})`],
      [`open ${big}-record partition with index.sqlite deleted (full rebuild)`, `${fmt(rebuilt.ms / 1000, 1)} s`],
    );
  } finally {
    rmSync(bigRoot, { recursive: true, force: true });
  }
  results.push(["peak RSS of this process", `${fmt(process.resourceUsage().maxRSS / 1024)} MB`]);
  console.log("\nReads, open time, memory (reads at uniformly random offsets, one after another; 16 B values in the large partition, 100 B in the small)\n");
  console.log(table(["measure", "value"], results));
}

if (import.meta.main) {
  const i = process.argv.indexOf("--child");
  if (i >= 0) await child(process.argv[i + 1]);
  else await run();
}
