import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { readClientTlsFiles, readTlsFiles } from "../../src/config/tls.ts";

describe("readTlsFiles (a broker)", () => {
  test("none given: plaintext", () => {
    expect(readTlsFiles({}, {})).toBeUndefined();
    expect(readTlsFiles({ "tls-cert": "" }, { STREAMNEST_TLS_KEY: "" })).toBeUndefined();
  });

  test("flags, else variables; paths made absolute", () => {
    expect(readTlsFiles({ "tls-cert": "c.pem", "tls-key": "/k.pem" }, {})).toEqual({ cert: resolve("c.pem"), key: "/k.pem" });
    expect(
      readTlsFiles({ "tls-ca": "/flag-ca.pem" }, { STREAMNEST_TLS_CERT: "/c.pem", STREAMNEST_TLS_KEY: "/k.pem", STREAMNEST_TLS_CA: "/env-ca.pem" }),
    ).toEqual({ cert: "/c.pem", key: "/k.pem", ca: "/flag-ca.pem" });
  });

  test("half a pair, or a CA alone, is one clear line", () => {
    expect(() => readTlsFiles({ "tls-cert": "/c.pem" }, {})).toThrow("--tls-cert needs --tls-key (the certificate's private key)");
    expect(() => readTlsFiles({ "tls-key": "/k.pem" }, {})).toThrow("--tls-key needs --tls-cert (the certificate of that key)");
    expect(() => readTlsFiles({ "tls-ca": "/ca.pem" }, {})).toThrow(
      "--tls-ca goes with --tls-cert and --tls-key: a broker checks client certificates only when it serves TLS",
    );
  });
});

describe("readClientTlsFiles (the CLI)", () => {
  test("a CA alone, or with a client certificate", () => {
    expect(readClientTlsFiles({}, {})).toEqual({});
    expect(readClientTlsFiles({}, { STREAMNEST_TLS_CA: "/ca.pem" })).toEqual({ ca: "/ca.pem" });
    expect(readClientTlsFiles({ "tls-cert": "/c.pem", "tls-key": "/k.pem" }, {})).toEqual({ cert: "/c.pem", key: "/k.pem" });
  });

  test("a client certificate needs its key", () => {
    expect(() => readClientTlsFiles({ "tls-cert": "/c.pem" }, {})).toThrow("--tls-cert and --tls-key go together");
  });
});
