import { expect, test } from "bun:test";
import { available, hasPythonModule } from "../helpers/external-client.ts";
import { pythonClientSuite } from "./kafka-python-clients.ts";

/**
 * kafka-python 2.0.2 (python3-kafka): starts at Metadata v0 and infers the broker's
 * release from the versions ApiVersions offers; it must infer 2.x or later (so it uses
 * record batch v2). Its Debian package has gzip only (snappy, lz4 and zstd need modules
 * Debian does not install with it).
 */
const present = available("kafka-python", hasPythonModule("kafka"), "apt-get install -y python3-kafka");

pythonClientSuite("kafka-python", "kafka_python_client.py", ["none", "gzip"], present, (client) => {
  test("infers a broker of release 2.x or later from ApiVersions", async () => {
    const { api_version } = await client().json<{ api_version: number[] }>(["version"]);
    expect(api_version[0]).toBeGreaterThanOrEqual(2);
  });
});
