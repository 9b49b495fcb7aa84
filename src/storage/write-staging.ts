/**
 * The buffer that segment writes go through, one per thread: the bytes of an append are
 * copied into it, a piece at a time, and written to the file from there.
 *
 * Why a copy makes a write cheaper: the kernel's copy of a write's bytes into the page
 * cache is slow from memory it has not read lately. On the machine this was measured on
 * (a VM whose kernel reaches user memory through page tables of its own) a pwrite of
 * 411 kB from a buffer allocated for it, as every batch's frames and every follower's
 * fetched chunk is, took ~940 µs of system time; the same bytes copied into a buffer
 * written from every time took ~60 µs, the copy included. Under RF=3 batch produce that
 * copy into the page cache was the largest single item of the brokers' CPU (9-15%).
 * Elsewhere the copy costs a memcpy, ~10 µs per 411 kB.
 */
import { CORE_LIMITS } from "../config/core.ts";

let staging: Uint8Array | undefined;

/** This thread's staging buffer, made at its first write (a process that never writes pays nothing). */
export function writeStaging(): Uint8Array {
  staging ??= new Uint8Array(CORE_LIMITS.writeStagingBytes.value);
  return staging;
}
