import { resolve } from "node:path";
import { configError, type Env, type Flags, readSection } from "./read.ts";
import { section } from "./setting.ts";

/**
 * TLS for every listener of a broker (HTTP, Kafka) and for its calls to other brokers;
 * and, for the CLI, the CA it trusts. Files are PEM. A broker re-reads them on SIGHUP.
 *
 * `--tls-ca` means the same to every process: the CA whose certificates this process
 * accepts from the other side. A broker given one asks every client for a certificate
 * signed by it (mutual TLS, on HTTP and Kafka alike) and verifies the other brokers
 * against it alone; the CLI verifies the brokers against it.
 */
export const TLS = section({
  cert: {
    kind: "text",
    flag: "tls-cert",
    hint: "path",
    defaultText: "none: plain HTTP and Kafka",
    help: "PEM certificate (chain) a broker serves HTTPS and Kafka over TLS with, and presents to other brokers; with the CLI, its client certificate",
  },
  key: {
    kind: "text",
    flag: "tls-key",
    hint: "path",
    defaultText: "none",
    help: "PEM private key of --tls-cert",
  },
  ca: {
    kind: "text",
    flag: "tls-ca",
    hint: "path",
    defaultText: "none: no client certificates asked, the system's CAs trusted",
    help: "PEM CA certificate(s) trusted for the other side: a broker then requires client certificates signed by it (mutual TLS) and verifies peers against it; the CLI verifies brokers against it",
  },
});

/** The TLS files a process was given, as absolute paths (a launcher's brokers may run elsewhere). */
export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string;
}

/**
 * The TLS files of a broker: none, or a certificate with its key (and a CA). A key
 * without a certificate, or a CA without either, is a mistake said in one line.
 */
export function readTlsFiles(flags: Flags, env: Env = process.env): TlsFiles | undefined {
  const { cert, key, ca } = readSection(TLS, flags, env);
  const given = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : resolve(value));
  const [certPath, keyPath, caPath] = [given(cert), given(key), given(ca)];
  if (certPath === undefined && keyPath === undefined) {
    if (caPath !== undefined)
      throw configError("--tls-ca goes with --tls-cert and --tls-key: a broker checks client certificates only when it serves TLS");
    return undefined;
  }
  if (certPath === undefined) throw configError("--tls-key needs --tls-cert (the certificate of that key)");
  if (keyPath === undefined) throw configError("--tls-cert needs --tls-key (the certificate's private key)");
  return caPath === undefined ? { cert: certPath, key: keyPath } : { cert: certPath, key: keyPath, ca: caPath };
}

/** What a CLI client trusts and presents: a CA, and a client certificate with its key. */
export interface ClientTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** The CLI's TLS files; a client certificate needs its key and the other way round. */
export function readClientTlsFiles(flags: Flags, env: Env = process.env): ClientTlsFiles {
  const { cert, key, ca } = readSection(TLS, flags, env);
  const given = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : resolve(value));
  const [certPath, keyPath, caPath] = [given(cert), given(key), given(ca)];
  if ((certPath === undefined) !== (keyPath === undefined))
    throw configError("--tls-cert and --tls-key go together (a client certificate and its private key)");
  return {
    ...(caPath !== undefined ? { ca: caPath } : {}),
    ...(certPath !== undefined && keyPath !== undefined ? { cert: certPath, key: keyPath } : {}),
  };
}
