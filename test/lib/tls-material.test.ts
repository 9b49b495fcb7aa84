import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { StreamNestError } from "../../src/lib/errors.ts";
import { describeCertificate, loadTlsMaterial, peerTrust, pemBlocks } from "../../src/lib/tls-material.ts";
import { makeTestCa } from "../helpers/tls-certs.ts";

const certs = makeTestCa();
const one = certs.issue("broker-a");
const two = certs.issue("broker-b");
afterAll(() => certs.remove());

/** The one-line message of what loadTlsMaterial throws. */
function refusal(paths: { cert: string; key: string; ca?: string }): string {
  try {
    loadTlsMaterial(paths);
  } catch (error) {
    expect(error).toBeInstanceOf(StreamNestError);
    expect((error as StreamNestError).code).toBe("INVALID_REQUEST");
    return (error as Error).message;
  }
  throw new Error("loadTlsMaterial accepted the files");
}

describe("loadTlsMaterial", () => {
  test("reads a certificate, its key and a CA", () => {
    const material = loadTlsMaterial({ ...one, ca: certs.ca });
    expect(material.cert).toContain("-----BEGIN CERTIFICATE-----");
    expect(material.key).toContain("PRIVATE KEY-----");
    expect(material.ca).toContain("-----BEGIN CERTIFICATE-----");
    expect(material.paths).toEqual({ ...one, ca: certs.ca });
    expect(describeCertificate(material.cert)).toStartWith("certificate CN=broker-a (valid until ");
  });

  test("a missing file is named, with why", () => {
    const missing = join(certs.dir, "nope.pem");
    expect(refusal({ cert: missing, key: one.key })).toBe(`--tls-cert ${missing} does not exist`);
    expect(refusal({ cert: one.cert, key: missing })).toBe(`--tls-key ${missing} does not exist`);
    expect(refusal({ ...one, ca: missing })).toBe(`--tls-ca ${missing} does not exist`);
    expect(refusal({ cert: certs.dir, key: one.key })).toBe(`--tls-cert ${certs.dir} is a folder`);
  });

  test("a key that is not the certificate's is refused, naming both files", () => {
    expect(refusal({ cert: one.cert, key: two.key })).toBe(`--tls-key ${two.key} is not the private key of --tls-cert ${one.cert}`);
  });

  test("files that are not PEM, or hold the wrong thing, are refused", () => {
    const junk = join(certs.dir, "junk.txt");
    writeFileSync(junk, "not a certificate\n");
    expect(refusal({ cert: junk, key: one.key })).toBe(`--tls-cert ${junk} is not a PEM file`);
    expect(refusal({ cert: one.key, key: one.key })).toBe(`--tls-cert ${one.key} holds no PEM certificate`);
    expect(refusal({ cert: one.cert, key: one.cert })).toBe(`--tls-key ${one.cert} holds no usable PEM private key`);
    expect(refusal({ ...one, ca: one.key })).toBe(`--tls-ca ${one.key} holds no PEM certificate`);
  });
});

describe("peerTrust", () => {
  test("with a CA: that CA only", () => {
    const material = loadTlsMaterial({ ...one, ca: certs.ca });
    expect(peerTrust(material)).toEqual([material.ca as string]);
  });

  test("without one: the system's CAs and the certificates of the broker's own file", () => {
    const chain = join(certs.dir, "chain.pem");
    writeFileSync(chain, readFileSync(one.cert, "utf8") + readFileSync(certs.ca, "utf8"));
    const material = loadTlsMaterial({ cert: chain, key: one.key });
    const trust = peerTrust(material);
    expect(trust.length).toBe(rootCertificates.length + 2);
    expect(trust.slice(rootCertificates.length)).toEqual(pemBlocks(material.cert));
    expect(pemBlocks(material.cert).length).toBe(2);
  });
});
