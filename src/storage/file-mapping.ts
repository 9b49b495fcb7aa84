/**
 * Read-only mappings of segment files (mmap through libc, by bun:ffi), so a read of a
 * rolled segment is a memcpy instead of a pread system call.
 *
 * Why: a single-record read at a random offset is one pread of ~150 bytes. On the VM this
 * was measured on, a pread cost ~2.4 µs (1.6 µs of it in the kernel) and a copy out of a
 * mapping ~0.3-0.6 µs; under wrk, a broker answering random `/consume` served ~20% more
 * requests with mapped reads (issue 17).
 *
 * Why not Bun.mmap: it returns a Uint8Array whose size JavaScriptCore counts as heap
 * memory; past a few hundred MB of mappings the collector sized the heap by them, and an
 * allocating loop ran 4× slower with 1 GB resident instead of 110 MB. Here the mapping is
 * only an address that JavaScript never sees as memory; `copyOut` copies a checked range
 * out of it, and `unmap` ends it at a known moment (a truncate, a delete, a close), not
 * whenever a collector finalizes a view.
 *
 * What it costs: a mapped page read once counts in the process's resident memory as
 * file-backed (RssFile, page cache the kernel may drop), not anonymous memory. A file cut
 * shorter by someone else while mapped faults (SIGBUS) on a read past the cut, where a
 * pread would have read short; only segments no append touches again are mapped, and
 * the broker itself unmaps before it truncates.
 *
 * Where libc cannot be loaded (not Linux, or no glibc), or with --mapped-reads=off
 * (LogOptions.mappedReads), nothing is mapped and every read is a pread, as before.
 */
import { dlopen, FFIType } from "bun:ffi";
import { CORE_LIMITS } from "../config/core.ts";

const PROT_READ = 1;
const MAP_SHARED = 1;

interface Libc {
  mmap(address: null, length: number, protection: number, flags: number, fd: number, offset: number): bigint;
  munmap(address: number, length: number): number;
  memcpy(into: Uint8Array, from: number, length: number): void;
}

/** libc's functions, loaded at the first mapping; null when they cannot be. */
let libc: Libc | null | undefined;
/** Mappings of this thread now; at most CORE_LIMITS.mappedSegmentsPerThread. */
let live = 0;

function loadLibc(): Libc | null {
  if (process.platform !== "linux") return null;
  try {
    const { symbols } = dlopen("libc.so.6", {
      mmap: { args: [FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i64], returns: FFIType.i64 },
      munmap: { args: [FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
      memcpy: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.void },
    });
    return symbols as unknown as Libc;
  } catch {
    return null;
  }
}

/** One file's bytes [0, length) mapped read-only. */
export class FileMapping {
  private address: number;

  private constructor(
    address: number,
    /** Bytes mapped, from the file's start. */
    readonly length: number,
  ) {
    this.address = address;
  }

  /**
   * Maps the first `length` bytes of the open file `fd`; null when mapping is unavailable
   * here, the thread has as many mappings as it may keep, or the kernel refused.
   */
  static map(fd: number, length: number): FileMapping | null {
    if (length <= 0 || live >= CORE_LIMITS.mappedSegmentsPerThread.value) return null;
    libc ??= loadLibc();
    if (libc === null) return null;
    const address = Number(libc.mmap(null, length, PROT_READ, MAP_SHARED, fd, 0));
    // MAP_FAILED is (void *) -1.
    if (address <= 0) return null;
    live++;
    return new FileMapping(address, length);
  }

  get mapped(): boolean {
    return this.address !== 0;
  }

  /** Copies the mapped bytes [position, position + into.length) into `into`. */
  copyOut(position: number, into: Uint8Array): void {
    // A copy outside the mapping would read memory that is not the file's, or crash:
    // checked here, in one place, whatever the caller computed.
    if (this.address === 0) throw new Error("read from a file mapping after it was unmapped");
    if (!(Number.isSafeInteger(position) && position >= 0 && position + into.length <= this.length)) {
      throw new RangeError(`bytes [${position}, ${position + into.length}) are outside the ${this.length} mapped bytes`);
    }
    if (into.length > 0) (libc as Libc).memcpy(into, this.address + position, into.length);
  }

  /** Ends the mapping (idempotent); copyOut refuses from then on. */
  unmap(): void {
    if (this.address === 0) return;
    (libc as Libc).munmap(this.address, this.length);
    this.address = 0;
    live--;
  }
}

/** Mappings this thread holds now (tests and a reader of the code's budget use it). */
export function liveMappings(): number {
  return live;
}
