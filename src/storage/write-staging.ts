/**
 * The buffer that segment writes go through, one per thread: the bytes of an append are
 * copied into it, a piece at a time, and written to the file from there.
 *
 * Why a copy makes a write cheaper: on the machine this was measured on (a VM), the
 * kernel's copy of a write's bytes into the page cache (copy_folio_from_iter_atomic) is
 * slow from user memory it has not read from lately; we believe the VM's own page tables
 * are why, but only the effect was measured. A pwrite of 411 kB from a buffer allocated
 * for it, as every batch's frames and every follower's fetched chunk is, took ~940 µs of
 * system and ~200-280 µs of user time; the same bytes copied here first, 55-80 µs of
 * system and 45-50 µs of user time, the copy included. Under RF=3 batch produce on
 * 3 brokers that copy fell from 9-15% of all CPU (perf, the largest single item) to 0.9%.
 * Where the kernel has no such cost, the price is the memcpy into this buffer.
 */
import { CORE_LIMITS } from "../config/core.ts";

let staging: Uint8Array | undefined;

/** This thread's staging buffer, made at its first write (a process that never writes pays nothing). */
export function writeStaging(): Uint8Array {
  staging ??= new Uint8Array(CORE_LIMITS.writeStagingBytes.value);
  return staging;
}
