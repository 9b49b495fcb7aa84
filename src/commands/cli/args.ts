import { StreamNestClient } from "../../client/index.ts";
import { usageError } from "./fail.ts";

/** The flag every client command takes: where the cluster is. */
export const metaArg = {
  type: "string",
  description: "a broker of the cluster as host:port (any broker answers; several comma-separated)",
  default: "localhost:8080",
  valueHint: "host:port",
} as const;

export function clientFor(meta: string): StreamNestClient {
  return new StreamNestClient(meta);
}

/** A whole number >= min from a flag, or a usage error naming the flag. */
export function integerFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text)))
    throw usageError(`--${name} must be a whole number${min === 0 ? " (0 or more)" : ` of at least ${min}`}, not "${value}"`);
  return Number(text);
}
