import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readBrokerSettings, withPort } from "../../src/config/broker-settings.ts";
import { defaultMaxOpenPartitions } from "../../src/config/core.ts";
import { suggestedHttpWorkers } from "../../src/config/http.ts";
import { StreamNestError } from "../../src/lib/errors.ts";

test("one broker's settings by section, with the defaults that depend on others filled in", () => {
  expect(readBrokerSettings({ id: "3" }, {})).toEqual({
    core: {
      id: 3,
      dataDir: resolve("data/broker-3"),
      fsync: "interval",
      mappedReads: "on",
      maxPartitions: 10_000,
      maxOpenPartitions: defaultMaxOpenPartitions(),
      maxMessageBytes: 1024 * 1024,
      segmentBytes: 128 * 1024 * 1024,
      retentionMs: undefined,
      retentionBytes: undefined,
      retentionCheckMs: 30_000,
    },
    http: { port: 8080, host: "0.0.0.0", maxBodyBytes: 32 * 1024 * 1024, workers: suggestedHttpWorkers(), sseStallMs: 30_000 },
    cluster: { peers: [], advertise: "localhost:8080", clusterId: "streamnest" },
  });
});

test("as Compose would give them: by environment, with flags over variables", () => {
  const env = {
    STREAMNEST_ID: "2",
    STREAMNEST_PEERS: "b1:8080,b3:8080",
    STREAMNEST_ADVERTISE: "b2:8080",
    STREAMNEST_DATA_DIR: "/data",
    STREAMNEST_CLUSTER_SECRET: "s",
    STREAMNEST_PORT_FILE: "",
    STREAMNEST_CLUSTER_ID: "prod-eu",
  };
  const settings = readBrokerSettings({ "data-dir": "/elsewhere" }, env);
  expect(settings.core.id).toBe(2);
  expect(settings.core.dataDir).toBe("/elsewhere");
  expect(settings.cluster).toEqual({ peers: ["b1:8080", "b3:8080"], advertise: "b2:8080", clusterId: "prod-eu", clusterSecret: "s" });
  expect(settings.http.portFile).toBeUndefined();
});

test("--port=0 leaves the advertised port to be filled in; port 0 in --advertise is the port listened on", () => {
  expect(readBrokerSettings({ id: "1", port: "0" }, {}).cluster.advertise).toBe("localhost:0");
  expect(readBrokerSettings({ id: "1", port: "9000", advertise: "h:0" }, {}).cluster.advertise).toBe("h:9000");
  expect(readBrokerSettings({ id: "1", port: "9000", advertise: "h:1" }, {}).cluster.advertise).toBe("h:1");
  expect(withPort("localhost:0", 41234)).toBe("localhost:41234");
  expect(withPort("localhost:0", 0)).toBe("localhost:0");
  expect(withPort("[::1]:0", 7)).toBe("[::1]:7");
  expect(withPort("h:80", 7)).toBe("h:80");
});

test("no id is one line saying how to give one", () => {
  let error: unknown;
  try {
    readBrokerSettings({}, {});
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(StreamNestError);
  expect((error as StreamNestError).message).toBe(
    "--id is required (a whole number of at least 1; or $STREAMNEST_ID), or --count=N for a local cluster",
  );
});

test("the cluster secret: the flag, else --cluster-secret-file, else the variable, else the file the variable names", () => {
  const dir = mkdtempSync(join(tmpdir(), "streamnest-secret-"));
  try {
    const file = join(dir, "secret");
    writeFileSync(file, "from-a-file-of-enough-length\n");
    const other = join(dir, "other");
    writeFileSync(other, "from-the-variable's-file\r\n");
    const secretOf = (flags: Record<string, string>, env: Record<string, string>) => readBrokerSettings({ id: "1", ...flags }, env).cluster.clusterSecret;
    expect(secretOf({ "cluster-secret": "flag", "cluster-secret-file": file }, {})).toBe("flag");
    expect(secretOf({ "cluster-secret-file": file }, { STREAMNEST_CLUSTER_SECRET: "env" })).toBe("from-a-file-of-enough-length");
    expect(secretOf({}, { STREAMNEST_CLUSTER_SECRET: "env", STREAMNEST_CLUSTER_SECRET_FILE: other })).toBe("env");
    expect(secretOf({}, { STREAMNEST_CLUSTER_SECRET_FILE: other })).toBe("from-the-variable's-file");
    expect(secretOf({}, {})).toBeUndefined();
    expect(() => secretOf({ "cluster-secret-file": join(dir, "missing") }, {})).toThrow(`--cluster-secret-file: cannot read ${join(dir, "missing")} (ENOENT)`);
    writeFileSync(other, "\n");
    expect(() => secretOf({}, { STREAMNEST_CLUSTER_SECRET_FILE: other })).toThrow(`STREAMNEST_CLUSTER_SECRET_FILE: ${other} is empty`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
