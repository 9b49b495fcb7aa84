/**
 * One segment file: records from `baseOffset` on, appended at the end and read by
 * positioned reads (pread), so no segment is ever held in memory; a rolled segment, which
 * no append touches again, is read from a mapping of the file instead (file-mapping.ts).
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readdirSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { unfilledBytes } from "../lib/fast-bytes.ts";
import { FileMapping } from "./file-mapping.ts";
import { writeStaging } from "./write-staging.ts";

const NAME = /^(\d{20})\.log$/;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, "0")}.log`;
}

/** Seals every segment of a log but its last, the active one (see Segment.seal). */
export function sealRolled(segments: readonly Segment[]): void {
  for (let i = 0; i < segments.length - 1; i++) segments[i].seal();
}

/** Base offsets of the segment files in `dir`, ascending. */
export function listSegmentBases(dir: string): number[] {
  return segmentBasesOf(readdirSync(dir));
}

/** Base offsets of the segment files among `names` (a folder's listing), ascending. */
export function segmentBasesOf(names: Iterable<string>): number[] {
  const bases: number[] = [];
  for (const name of names) {
    const match = NAME.exec(name);
    if (match) bases.push(Number(match[1]));
  }
  return bases.sort((a, b) => a - b);
}

export class Segment {
  readonly baseOffset: number;
  readonly path: string;
  private fd: number;
  /** Bytes in the file; the next append goes here. */
  size: number;
  /** Written since the last flush to the device. */
  dirty = false;
  /** Flushes in flight; the file is only closed once they are done. */
  private syncing = 0;
  private closeWhenSynced = false;
  closed = false;
  /** Whether reads may map the file: set when the segment is rolled (see seal). */
  private mappable = false;
  /** The file's first bytes, mapped at the first read after seal; null before, or when mapping is unavailable. */
  private mapping: FileMapping | null = null;

  private constructor(dir: string, baseOffset: number, fd: number, size: number) {
    this.baseOffset = baseOffset;
    this.path = join(dir, segmentFileName(baseOffset));
    this.fd = fd;
    this.size = size;
  }

  /** Opens (creating if missing) the segment file for reading and appending. */
  static open(dir: string, baseOffset: number): Segment {
    const path = join(dir, segmentFileName(baseOffset));
    // "a+" would ignore positions on write; "r+" after creating keeps pwrite semantics.
    let fd: number;
    try {
      fd = openSync(path, "r+");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      fd = openSync(path, "w+");
    }
    const size = Bun.file(path).size;
    return new Segment(dir, baseOffset, fd, size);
  }

  /**
   * Creates the first segment of a folder this process just made (so it holds no file):
   * one open call, where open() tries the file first and then asks for its size.
   */
  static create(dir: string, baseOffset: number): Segment {
    const path = join(dir, segmentFileName(baseOffset));
    return new Segment(dir, baseOffset, openSync(path, "wx+"), 0);
  }

  /**
   * Writes `bytes` at the end; returns their position. They go through this thread's
   * staging buffer (write-staging.ts), a piece at a time; a short write is retried to the end.
   */
  append(bytes: Uint8Array): number {
    const position = this.size;
    const staging = writeStaging();
    let done = 0;
    try {
      while (done < bytes.length) {
        const piece = Math.min(staging.length, bytes.length - done);
        staging.set(bytes.subarray(done, done + piece));
        for (let written = 0; written < piece; ) written += writeSync(this.fd, staging, written, piece - written, position + done + written);
        done += piece;
      }
    } catch (error) {
      // Leave no half-written frame behind: the next append starts at a frame boundary.
      try {
        ftruncateSync(this.fd, position);
      } catch {
        // The write error below is the one worth reporting.
      }
      throw error;
    }
    this.size += bytes.length;
    this.dirty = true;
    return position;
  }

  /**
   * What is wrong with the file if something other than this process deleted it (its
   * folder, say) or cut it shorter than what was written; null when it is intact. An
   * append to a deleted file would be acknowledged and lost with the process, and one past
   * a cut would leave a hole of zeros before it.
   */
  tampered(): string | null {
    const stat = fstatSync(this.fd);
    if (stat.nlink === 0) return `${this.path} was deleted while the broker had it open`;
    if (stat.size < this.size) return `${this.path} was cut to ${stat.size} bytes while the broker had written ${this.size}`;
    return null;
  }

  /**
   * Reads `length` bytes at `position` into a fresh buffer (or one `memory` gives, for a
   * reader that hands its buffers back to a pool); fewer if the file is shorter.
   */
  read(position: number, length: number, memory: (length: number) => Uint8Array = unfilledBytes): Uint8Array {
    // Not zeroed: only the bytes read are returned.
    const buf = memory(length);
    if (this.mappable) {
      const mapping = this.mapping ?? this.map();
      if (mapping !== null && position + length <= mapping.length) {
        mapping.copyOut(position, buf);
        return buf;
      }
    }
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  /**
   * Marks the segment as rolled: reads may map it from now on. Only a hint of where
   * mapping pays: what is mapped is the file's first `size` bytes at the first read after
   * this, which no append changes, and truncate unmaps before it cuts.
   */
  seal(): void {
    this.mappable = true;
  }

  /** Bytes of the file that reads copy from a mapping (0: every read is a pread). */
  get mappedBytes(): number {
    return this.mapping?.length ?? 0;
  }

  private map(): FileMapping | null {
    this.mapping = FileMapping.map(this.fd, this.size);
    // Unavailable here (or the thread's budget is spent): pread from now on, not a try per read.
    if (this.mapping === null) this.mappable = false;
    return this.mapping;
  }

  private unmap(): void {
    this.mapping?.unmap();
    this.mapping = null;
  }

  truncate(size: number): void {
    // A read of a mapped page past the cut would fault: unmap first, and read the
    // segment, the active one now, by preads.
    this.unmap();
    this.mappable = false;
    ftruncateSync(this.fd, size);
    this.size = size;
    this.dirty = true;
  }

  flushSync(): void {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    fdatasyncSync(this.fd);
  }

  /** Flushes to the device off the event loop (libuv's thread pool). */
  flush(): Promise<void> {
    if (!this.dirty || this.closed) return Promise.resolve();
    this.dirty = false;
    this.syncing++;
    return new Promise<void>((resolve, reject) => {
      fdatasync(this.fd, (error) => {
        this.syncing--;
        if (this.closeWhenSynced && this.syncing === 0) this.closeNow();
        if (error) {
          this.dirty = true;
          reject(error);
        } else resolve();
      });
    });
  }

  /** Closes the file, after any flush in flight. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unmap();
    this.mappable = false;
    if (this.syncing > 0) this.closeWhenSynced = true;
    else this.closeNow();
  }

  private closeNow(): void {
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Closes and removes the file. */
  delete(): void {
    this.close();
    rmSync(this.path, { force: true });
  }
}
