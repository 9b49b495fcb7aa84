import { StreamNestClient } from "../../client/index.ts";
import { CLIENT } from "../../config/client.ts";
import { argOf } from "../../config/help.ts";
import { readSetting } from "../../config/read.ts";
import { usageError } from "./fail.ts";

/** The flag every client command takes: where the cluster is (--meta, else $STREAMNEST_META). */
export const metaArg = argOf(CLIENT.meta);

/** The API token of brokers run with --auth=token (--token, else $STREAMNEST_TOKEN). */
export const tokenArg = argOf(CLIENT.token);

/**
 * A client of the cluster that --meta names (else $STREAMNEST_META, else the default),
 * sending the token --token gives (else $STREAMNEST_TOKEN), if any.
 */
export function clientFor(meta: string | undefined, token?: string): StreamNestClient {
  const given = readSetting(CLIENT.token, { token });
  return new StreamNestClient(readSetting(CLIENT.meta, { meta }), given === undefined || given === "" ? {} : { token: given });
}

/** A whole number >= min from a flag, or a usage error naming the flag. */
export function integerFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text)))
    throw usageError(`--${name} must be a whole number${min === 0 ? " (0 or more)" : ` of at least ${min}`}, not "${value}"`);
  return Number(text);
}
