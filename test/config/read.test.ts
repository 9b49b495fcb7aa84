import { describe, expect, test } from "bun:test";
import { CLUSTER } from "../../src/config/cluster.ts";
import { CORE } from "../../src/config/core.ts";
import { HTTP, suggestedHttpWorkers } from "../../src/config/http.ts";
import { readGiven, readSection, readSetting } from "../../src/config/read.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

function failure(run: () => unknown): StreamNestError {
  try {
    run();
  } catch (error) {
    if (error instanceof StreamNestError) return error;
    throw error;
  }
  throw new Error("no error");
}

describe("readSetting: flag, else environment variable, else default", () => {
  test("the default when neither is given", () => {
    expect(readSetting(HTTP.port, {}, {})).toBe(8080);
    expect(readSetting(CORE.fsync, {}, {})).toBe("interval");
    expect(readSetting(CLUSTER.peers, {}, {})).toEqual([]);
    expect(readSetting(CORE.id, {}, {})).toBeUndefined();
  });

  test("the variable over the default, the flag over the variable", () => {
    expect(readSetting(HTTP.port, {}, { STREAMNEST_PORT: "9000" })).toBe(9000);
    expect(readSetting(HTTP.port, { port: "9001" }, { STREAMNEST_PORT: "9000" })).toBe(9001);
    expect(readSetting(CLUSTER.peers, {}, { STREAMNEST_PEERS: "a:1, b:2," })).toEqual(["a:1", "b:2"]);
  });

  test("an empty variable counts as unset (Compose writes FOO= for a blank entry)", () => {
    expect(readSetting(HTTP.port, {}, { STREAMNEST_PORT: "" })).toBe(8080);
    expect(readGiven(HTTP.host, {}, { STREAMNEST_HOST: "" })).toBeUndefined();
    expect(readGiven(HTTP.host, {}, { STREAMNEST_HOST: "127.0.0.1" })).toBe("127.0.0.1");
    expect(readGiven(HTTP.host, { host: "::1" }, {})).toBe("::1");
  });

  test("sizes take binary units", () => {
    expect(readSetting(CORE.maxMessageBytes, { "max-message-bytes": "2MiB" }, {})).toBe(2 * 1024 * 1024);
    expect(readSetting(CORE.segmentBytes, { "segment-bytes": "64m" }, {})).toBe(64 * 1024 * 1024);
    expect(readSetting(CORE.segmentBytes, { "segment-bytes": "1g" }, {})).toBe(1024 ** 3);
    expect(readSetting(CORE.retentionBytes, { "retention-bytes": "0" }, {})).toBe(0);
  });
});

describe("a value that does not fit is one line naming its flag or its variable", () => {
  test.each([
    [CORE.id, { id: "x" }, {}, '--id must be a whole number from 1 to 2147483647, not "x"'],
    [CORE.id, {}, { STREAMNEST_ID: "0" }, 'STREAMNEST_ID must be a whole number from 1 to 2147483647, not "0"'],
    [HTTP.port, { port: "70000" }, {}, '--port must be a whole number from 0 to 65535, not "70000"'],
    [HTTP.port, { port: "1.5" }, {}, '--port must be a whole number from 0 to 65535, not "1.5"'],
    [CORE.fsync, { fsync: "sometimes" }, {}, '--fsync must be always, interval or never, not "sometimes"'],
    [CORE.fsync, {}, { STREAMNEST_FSYNC: "often" }, 'STREAMNEST_FSYNC must be always, interval or never, not "often"'],
    [CORE.segmentBytes, { "segment-bytes": "1000" }, {}, '--segment-bytes must be a size in bytes of at least 1024 (e.g. 1048576 or 1MiB), not "1000"'],
    [CORE.maxMessageBytes, { "max-message-bytes": "lots" }, {}, '--max-message-bytes must be a size in bytes of at least 1 (e.g. 1048576 or 1MiB), not "lots"'],
    [CLUSTER.peers, { peers: "a:1,nohostport" }, {}, '--peers entries must be host:port, not "nohostport"'],
    [CLUSTER.advertise, {}, { STREAMNEST_ADVERTISE: "host" }, 'STREAMNEST_ADVERTISE entries must be host:port, not "host"'],
  ] as const)("%#", (setting, flags, env, message) => {
    const error = failure(() => readSetting(setting, flags, env));
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.message).toBe(message);
  });
});

test("readSection reads every setting of a section, typed", () => {
  const http = readSection(HTTP, { port: "0", "port-file": "/tmp/p" }, { STREAMNEST_MAX_BODY_BYTES: "1KiB" });
  expect(http).toEqual({ port: 0, host: "0.0.0.0", allowedHosts: undefined, portFile: "/tmp/p", maxBodyBytes: 1024, workers: suggestedHttpWorkers(), sseStallMs: 30_000 });
});
