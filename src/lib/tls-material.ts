import { readFileSync } from "node:fs";
import { createSecureContext, rootCertificates } from "node:tls";
import { X509Certificate } from "node:crypto";
import { StreamNestError } from "./errors.ts";

/**
 * A broker's TLS certificate, key and CA, read from their files and checked together
 * before anything uses them: at start (a problem is one line naming the file, and the
 * broker exits) and on every SIGHUP (a problem keeps the material in use).
 */

export interface TlsPaths {
  cert: string;
  key: string;
  ca?: string;
}

export interface TlsMaterial {
  cert: string;
  key: string;
  /** PEM CA certificate(s): client certificates must be signed by one, and peers too. */
  ca?: string;
  paths: TlsPaths;
}

/** Reads and checks the files: each readable PEM, the key the certificate's, the CA a certificate. */
export function loadTlsMaterial(paths: TlsPaths): TlsMaterial {
  const cert = readPem(paths.cert, "--tls-cert");
  const key = readPem(paths.key, "--tls-key");
  const ca = paths.ca === undefined ? undefined : readPem(paths.ca, "--tls-ca");
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw tlsError(`--tls-cert ${paths.cert} holds no PEM certificate`);
  }
  try {
    // Refuses a key that is not PEM, or not the certificate's (KEY_VALUES_MISMATCH).
    createSecureContext({ cert, key });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw tlsError(
      code === "ERR_OSSL_X509_KEY_VALUES_MISMATCH"
        ? `--tls-key ${paths.key} is not the private key of --tls-cert ${paths.cert}`
        : `--tls-key ${paths.key} holds no usable PEM private key`,
    );
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
      createSecureContext({ ca });
    } catch {
      throw tlsError(`--tls-ca ${paths.ca} holds no PEM certificate`);
    }
  }
  if (Date.parse(leaf.validTo) < Date.now()) throw tlsError(`--tls-cert ${paths.cert} expired on ${leaf.validTo}`);
  return ca === undefined ? { cert, key, paths } : { cert, key, ca, paths };
}

/**
 * What this broker trusts in another broker's certificate: the --tls-ca when given
 * (the cluster's own CA, and then nothing else); without one, the system's CAs plus the
 * certificates of this broker's own --tls-cert file, so that brokers sharing one
 * self-signed certificate, or certificates whose file carries their issuing CA, verify
 * each other with nothing more. The peer's name is always checked against the address
 * it is dialled at (as any HTTPS client does).
 */
export function peerTrust(material: TlsMaterial): string[] {
  if (material.ca !== undefined) return [material.ca];
  return [...rootCertificates, ...pemBlocks(material.cert)];
}

/** The certificates of a PEM file, one string each. */
export function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

function readPem(path: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "cannot be read (permission denied)" : code === "EISDIR" ? "is a folder" : `cannot be read (${String(code ?? (error as Error).message)})`;
    throw tlsError(`${flag} ${path} ${why}`);
  }
  if (!text.includes("-----BEGIN ")) throw tlsError(`${flag} ${path} is not a PEM file`);
  return text;
}

function tlsError(message: string): StreamNestError {
  return new StreamNestError("INVALID_REQUEST", message);
}

/** "CN=broker-1 (valid until Jan  1 00:00:00 2027 GMT)": which certificate a log line means. */
export function describeCertificate(pem: string): string {
  try {
    const cert = new X509Certificate(pem);
    return `certificate ${cert.subject.replace(/\n/g, ", ")} (valid until ${cert.validTo})`;
  } catch {
    return "certificate";
  }
}
