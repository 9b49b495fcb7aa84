/**
 * The benchmark. Each part lives in scripts/bench/<part>.ts and exports `run()`, which
 * starts what it measures itself and prints a table.
 *   bun scripts/bench.ts                 every part
 *   bun scripts/bench.ts storage http    some parts
 *   bun scripts/bench.ts inprocess       µs per request without sockets (quick)
 *   bun scripts/bench.ts tls             produce over HTTPS as a fraction of plain HTTP
 *   bun scripts/bench.ts kafka-throughput   kcat produce/consume of 1M messages against HTTP batches
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const PARTS = ["storage", "http", "inprocess", "cluster", "replication", "quorum", "console", "release", "tls", "kafka", "kafka-throughput"] as const;
const wanted = process.argv.slice(2);
const parts = wanted.length > 0 ? wanted : [...PARTS];

for (const part of parts) {
  const file = resolve(import.meta.dir, "bench", `${part}.ts`);
  if (!existsSync(file)) {
    console.error(`no benchmark part "${part}" (have: ${PARTS.join(", ")})`);
    process.exitCode = 1;
    continue;
  }
  console.log(`\n## ${part}\n`);
  const mod: { run: () => Promise<void> } = await import(file);
  await mod.run();
}
