/**
 * Environment variables a broker process needs from its start: Bun and its allocator read
 * them once, when the process begins, so a broker started without them runs itself again
 * with them (commands/runtime-env.ts); the launcher's children get them the same way.
 * A value the operator set is kept.
 */
export const BROKER_RUNTIME_ENV: Readonly<Record<string, string>> = {
  // Bun's fetch holds at most 256 requests at once, process-wide: 256 forwarded streams
  // or long polls would starve every call to a peer.
  BUN_CONFIG_MAX_HTTP_REQUESTS: "65535",
  // mimalloc (Bun's allocator) gives freed memory back to the OS after 10 ms by default,
  // and a broker frees and takes again buffers of 100 KB–4 MB on every batch (request
  // bodies, replica fetches, tail-cache chunks): each round trip to the OS is a madvise,
  // a TLB flush on every core and a page fault per 4 KiB touched again. Measured with
  // 3 brokers, RF=3, batches of 1,000 × 100 B (bench replication's batch phase, 10 s
  // each, one run): 145k msg/s at 12.9 µs of broker CPU per message by default, 237k at
  // 7.8 µs with -1 (never give back); 1 s, 10 s and 100 s delays gave 133k–170k. The cost:
  // memory freed stays with the process for the next allocation, so its resident size
  // stays near its peak (~310 MiB per broker after that run instead of ~140 MiB, with a
  // peak of ~240 MiB). Set MIMALLOC_PURGE_DELAY=10 to give memory back as before.
  MIMALLOC_PURGE_DELAY: "-1",
};

/** Set to 1: never run the broker again with BROKER_RUNTIME_ENV (the variables are left as they are). */
export const NO_RUNTIME_REEXEC_ENV = "STREAMNEST_NO_REEXEC";
