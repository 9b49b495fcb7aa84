import { expect, test } from "bun:test";
import { CLUSTER, LAUNCHER } from "../../src/config/cluster.ts";
import { CORE, defaultMaxOpenPartitions } from "../../src/config/core.ts";
import { argsOf, helpText, sizeText } from "../../src/config/help.ts";
import { HTTP, suggestedHttpWorkers } from "../../src/config/http.ts";

test("each flag's help names its default and its environment variable", () => {
  expect(helpText(HTTP.port)).toBe("HTTP port; 0: a free one, shown on the first output line (default 8080; $STREAMNEST_PORT)");
  expect(helpText(CORE.maxMessageBytes)).toBe("largest message (default 1MiB; $STREAMNEST_MAX_MESSAGE_BYTES)");
  expect(helpText(CORE.retentionMs)).toBe("delete segments older than this (default keep; $STREAMNEST_RETENTION_MS)");
  expect(helpText(CORE.id)).toBe("broker id, a whole number of at least 1 ($STREAMNEST_ID)");
  expect(helpText(CORE.maxOpenPartitions)).toBe(
    `most partition logs kept open when idle, ~3 open files each (default from ulimit -n: ${defaultMaxOpenPartitions()}; $STREAMNEST_MAX_OPEN_PARTITIONS)`,
  );
  // Launcher-only flags have no variable: its brokers inherit its environment.
  expect(helpText(LAUNCHER.count)).toBe("run a local cluster of N brokers (ids 1..N)");
});

test("argsOf gives citty string flags keyed by flag, in declaration order", () => {
  const args = argsOf(HTTP, LAUNCHER);
  expect(Object.keys(args)).toEqual(["port", "host", "allowed-hosts", "port-file", "max-body-bytes", "workers", "sse-stall-ms", "count", "base-port"]);
  expect(args["max-body-bytes"]).toEqual({
    type: "string",
    description: "largest request body (default 32MiB; $STREAMNEST_MAX_BODY_BYTES)",
    valueHint: "bytes",
  });
  expect(args.workers.description).toBe(
    `threads serving HTTP on the port (SO_REUSEPORT; Linux); 1: the broker's own thread, which keeps every partition log either way (default the cores but one, 1 to 8 (Linux; elsewhere 1): ${suggestedHttpWorkers()}; $STREAMNEST_WORKERS)`,
  );
});

test("sizes are shown in the largest binary unit that divides them", () => {
  expect([1024, 1536, 32 * 1024 * 1024, 1024 ** 3, 1000].map(sizeText)).toEqual(["1KiB", "1536", "32MiB", "1GiB", "1000"]);
});
