import { readFileSync } from "node:fs";
import { type ClientTls, StreamNestClient } from "../../client/index.ts";
import { CLIENT } from "../../config/client.ts";
import { argOf, argsOf } from "../../config/help.ts";
import { type Flags, readSetting } from "../../config/read.ts";
import { readClientTlsFiles, TLS } from "../../config/tls.ts";
import { usageError } from "./fail.ts";

/** The flag every client command takes: where the cluster is (--meta, else $STREAMNEST_META). */
export const metaArg = argOf(CLIENT.meta);

/** The API token of brokers run with --auth=token (--token, else $STREAMNEST_TOKEN). */
export const tokenArg = argOf(CLIENT.token);

/** --tls-ca (and a client certificate: --tls-cert, --tls-key) for brokers that serve HTTPS. */
export const tlsArgs = argsOf(TLS);

/**
 * A client of the cluster that --meta names (else $STREAMNEST_META, else the default),
 * sending the token --token gives (else $STREAMNEST_TOKEN), if any, over HTTPS when the
 * address says https:// or a --tls-* flag (or variable) is given.
 */
export function clientFor(meta: string | undefined, flags: Flags & { token?: string } = {}): StreamNestClient {
  const tls = clientTls(flags);
  const token = readSetting(CLIENT.token, { token: flags.token });
  return new StreamNestClient(readSetting(CLIENT.meta, { meta }), {
    ...(token !== undefined && token !== "" ? { token } : {}),
    ...(tls !== undefined ? { tls } : {}),
  });
}

/** The PEM text of the client's TLS files; none given: undefined (plain http:// unless the address says https). */
export function clientTls(flags: Flags): ClientTls | undefined {
  const files = readClientTlsFiles(flags);
  if (files.ca === undefined && files.cert === undefined) return undefined;
  const read = (path: string, flag: string): string => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw usageError(`${flag} ${path} cannot be read (${String((error as { code?: unknown }).code ?? (error as Error).message)})`);
    }
    // Refused here, in the broker's own words: a file that is not PEM otherwise surfaced as
    // "cannot reach the broker … (FailedToOpenSocket)" (found by fuzzing the CLI).
    if (!text.includes("-----BEGIN ")) throw usageError(`${flag} ${path} is not a PEM file`);
    return text;
  };
  return {
    ...(files.ca !== undefined ? { ca: read(files.ca, "--tls-ca") } : {}),
    ...(files.cert !== undefined && files.key !== undefined ? { cert: read(files.cert, "--tls-cert"), key: read(files.key, "--tls-key") } : {}),
  };
}

/** A whole number >= min from a flag, or a usage error naming the flag. */
export function integerFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text)))
    throw usageError(`--${name} must be a whole number${min === 0 ? " (0 or more)" : ` of at least ${min}`}, not "${value}"`);
  return Number(text);
}
