import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, startBroker } from "../helpers/broker-harness.ts";
import { run } from "../helpers/external-client.ts";
import { KafkaBroker } from "../helpers/kafka-broker.ts";
import { makeTestCa, servedSubject } from "../helpers/tls-certs.ts";
import { until } from "../helpers/until.ts";

/**
 * HTTPS (issue 14, TLS): a broker with --tls-cert/--tls-key serves HTTPS only, curl and
 * the CLI reach it trusting the test CA, SIGHUP swaps the certificate for new
 * connections on both listeners (and keeps it when the new one is bad), a bad
 * certificate at start is one line and exit 1, and --tls-ca requires client certificates.
 */

const certs = makeTestCa();
/** The paths the broker is started with; a renewal overwrites them in place, as certbot does. */
const live = mkdtempSync(join(tmpdir(), "streamnest-tls-live-"));
const certPath = join(live, "broker.pem");
const keyPath = join(live, "broker.key");
let broker: KafkaBroker;

beforeAll(async () => {
  const first = certs.issue("broker-first");
  copyFileSync(first.cert, certPath);
  copyFileSync(first.key, keyPath);
  // Two HTTP threads, each serving the certificate: a SIGHUP reload must reach both (the
  // one-thread path is covered by the TLS cluster and launcher tests).
  broker = await KafkaBroker.start({ tls: { cert: certPath, key: keyPath, ca: certs.ca }, args: ["--workers=2"] });
});

afterAll(async () => {
  await broker?.stop();
  certs.remove();
  rmSync(live, { recursive: true, force: true });
});

const curl = (...args: string[]) => run(["curl", "-sS", "--max-time", "10", ...args]);

describe("HTTPS", () => {
  test("curl --cacert reaches /health over https; plain http to the same port gets no answer", async () => {
    const port = broker.broker.port;
    expect(broker.url).toBe(`https://127.0.0.1:${port}`);
    const ok = await curl("--cacert", certs.ca, `https://localhost:${port}/health`);
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: "ok", id: 1 });
    const plain = await curl(`http://127.0.0.1:${port}/health`);
    expect(plain.exitCode).not.toBe(0);
    expect(plain.stdout).toBe("");
    // Without the CA, curl refuses the certificate: it is the test CA's, not a public one.
    const untrusted = await curl(`https://localhost:${port}/health`);
    expect(untrusted.exitCode).toBe(60);
  });

  test("the startup lines name the https address and the Kafka listener's TLS", () => {
    const port = broker.broker.port;
    expect(broker.broker.output).toContain(`Kafka listener on :${broker.kafkaPort} (advertised as 127.0.0.1:${broker.kafkaPort}, TLS)\n`);
    expect(broker.broker.output).toContain(`HTTPS on https://localhost:${port} (certificate ${certPath}; SIGHUP reloads it)\n`);
  });

  test("the CLI over https: host:port with --tls-ca means https; an https:// URL with $STREAMNEST_TLS_CA too", async () => {
    const meta = `--meta=127.0.0.1:${broker.broker.port}`;
    const created = await runCli(["topics", "create", "tls-cli", "--partitions=1", meta, `--tls-ca=${certs.ca}`]);
    expect(created.stderr).toBe("[success] created topic tls-cli with 1 partition\n");
    expect(created.exitCode).toBe(0);
    const produced = await runCli(["producer", meta, "--topic=tls-cli", `--tls-ca=${certs.ca}`], { stdin: "one\ntwo\n" });
    expect(produced.exitCode).toBe(0);
    const consumed = await runCli(
      ["consumer", `--meta=https://localhost:${broker.broker.port}`, "--topic=tls-cli", "--partition=0", "--from-beginning", "--max=2"],
      { env: { STREAMNEST_TLS_CA: certs.ca } },
    );
    expect(consumed.exitCode).toBe(0);
    expect(consumed.stdout).toBe("[Offset 0] one\n[Offset 1] two\n");
    // https:// without the CA: the certificate is refused, in one line.
    const refused = await runCli(["topics", "list", `--meta=https://localhost:${broker.broker.port}`]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("streamnest health: the broker beside it over https with the broker's own TLS settings; another by URL verified", async () => {
    const port = String(broker.broker.port);
    const local = await runCli(["health"], { env: { STREAMNEST_PORT: port, STREAMNEST_TLS_CERT: certPath, STREAMNEST_TLS_KEY: keyPath } });
    expect(local.stderr).toBe("");
    expect(local.exitCode).toBe(0);
    expect(local.stdout).toStartWith(`ok: broker 1 (localhost:${port}), metadata version `);
    const verified = await runCli(["health", `--url=https://localhost:${port}`, `--tls-ca=${certs.ca}`]);
    expect(verified.exitCode).toBe(0);
    const untrusted = await runCli(["health", `--url=https://localhost:${port}`]);
    expect(untrusted.exitCode).toBe(1);
    expect(untrusted.stdout).toBe("");
  });

  test("SIGHUP: a new connection sees the renewed certificate, on HTTPS and on the Kafka listener", async () => {
    expect(await servedSubject(broker.broker.port)).toBe("CN = broker-first");
    expect(await servedSubject(broker.kafkaPort)).toBe("CN = broker-first");
    const renewed = certs.issue("broker-renewed");
    copyFileSync(renewed.cert, certPath);
    copyFileSync(renewed.key, keyPath);
    // A long poll open across the reload: its connection keeps the old certificate and is answered.
    const waiting = broker.broker.fetch("/consume?topic=tls-cli&partition=0&offset=2&wait_ms=20000");
    await Bun.sleep(200);
    const seen = broker.broker.output.length;
    broker.broker.proc?.kill("SIGHUP");
    await until("the reload's log line", async () => broker.broker.output.slice(seen), (out) => out.includes("TLS: SIGHUP: reloaded"), 10_000);
    const produced = await curl(
      "--cacert", certs.ca, "-H", "content-type: application/json", "-d", '{"topic":"tls-cli","partition":0,"message":"three"}',
      `https://localhost:${broker.broker.port}/produce`,
    );
    expect(JSON.parse(produced.stdout)).toEqual({ offset: 2, partition: 0 });
    const answered = await waiting;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ offset: 2, message: "three" });
    expect(broker.broker.output.slice(seen)).toStartWith(`TLS: SIGHUP: reloaded certificate CN=broker-renewed (valid until `);
    expect(broker.broker.output.slice(seen)).toContain(` from ${certPath}; new connections use it\n`);
    expect(await servedSubject(broker.broker.port)).toBe("CN = broker-renewed");
    expect(await servedSubject(broker.kafkaPort)).toBe("CN = broker-renewed");
    const ok = await curl("--cacert", certs.ca, `https://localhost:${broker.broker.port}/list-topics`);
    expect(JSON.parse(ok.stdout)).toEqual({ topics: ["tls-cli"] });
    expect(broker.broker.proc?.exitCode).toBeNull();
  });

  test("SIGHUP with a key that is not the certificate's keeps the certificate in use and says why in one line", async () => {
    const before = await servedSubject(broker.broker.port);
    const other = certs.issue("broker-other");
    copyFileSync(other.cert, certPath);
    const seen = broker.broker.output.length;
    broker.broker.proc?.kill("SIGHUP");
    await until("the refusal's log line", async () => broker.broker.output.slice(seen), (out) => out.includes("TLS: SIGHUP:"), 10_000);
    expect(broker.broker.output.slice(seen)).toBe(
      `TLS: SIGHUP: kept the certificate in use: --tls-key ${keyPath} is not the private key of --tls-cert ${certPath}\n`,
    );
    expect(await servedSubject(broker.broker.port)).toBe(before);
    expect(await servedSubject(broker.kafkaPort)).toBe(before);
    const ok = await curl("--cacert", certs.ca, `https://localhost:${broker.broker.port}/health`);
    expect(ok.exitCode).toBe(0);
  });
});

describe("a bad certificate at start", () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "streamnest-tls-start-"));
    made.push(dir);
    return join(dir, "b");
  };
  const start = (...flags: string[]) => runCli(["broker", "--id=1", "--port=0", "--host=127.0.0.1", `--data-dir=${dataDir()}`, ...flags]);

  test("a missing file: one line naming it, exit 1", async () => {
    const missing = join(certs.dir, "missing.pem");
    const key = certs.issue("k").key;
    expect(await start(`--tls-cert=${missing}`, `--tls-key=${key}`)).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `Error: --tls-cert ${missing} does not exist\n`,
    });
  });

  test("a key that is not the certificate's: one line naming both, exit 1", async () => {
    const a = certs.issue("a");
    const b = certs.issue("b");
    expect(await start(`--tls-cert=${a.cert}`, `--tls-key=${b.key}`)).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: `Error: --tls-key ${b.key} is not the private key of --tls-cert ${a.cert}\n`,
    });
  });

  test("a certificate without its key: one line, exit 1", async () => {
    const a = certs.issue("a");
    expect(await start(`--tls-cert=${a.cert}`)).toEqual({
      exitCode: 1,
      stdout: "",
      stderr: "Error: --tls-cert needs --tls-key (the certificate's private key)\n",
    });
  });
});

describe("mutual TLS (--tls-ca)", () => {
  test("a client without a certificate, or with one the CA did not sign, is refused; one with the CA's is served", async () => {
    const server = certs.issue("mtls-broker");
    const client = certs.issue("mtls-client");
    const started = await startBroker({ tls: { ...server, ca: certs.ca, requireClientCerts: true, client } });
    try {
      const url = `https://localhost:${started.broker.port}/health`;
      expect(started.broker.output).toContain(`clients need a certificate signed by ${certs.ca}`);
      const none = await curl("--cacert", certs.ca, url);
      expect(none.exitCode).not.toBe(0);
      expect(none.stdout).toBe("");
      const stranger = certs.selfSigned("stranger");
      const foreign = await curl("--cacert", certs.ca, "--cert", stranger.cert, "--key", stranger.key, url);
      expect(foreign.exitCode).not.toBe(0);
      expect(foreign.stdout).toBe("");
      const signed = await curl("--cacert", certs.ca, "--cert", client.cert, "--key", client.key, url);
      expect(signed.exitCode).toBe(0);
      expect(JSON.parse(signed.stdout)).toMatchObject({ status: "ok" });
      // The CLI with a client certificate.
      const listed = await runCli([
        "topics",
        "list",
        `--meta=127.0.0.1:${started.broker.port}`,
        `--tls-ca=${certs.ca}`,
        `--tls-cert=${client.cert}`,
        `--tls-key=${client.key}`,
      ]);
      expect(listed).toEqual({ exitCode: 0, stdout: "", stderr: "" });
    } finally {
      await started.stop();
    }
  });
});
