import { StreamNestError } from "../lib/errors.ts";
import { envName, type Parsed, type Setting, type Settings, type Values } from "./setting.ts";

/**
 * Turns flags and environment variables into a section's typed values: a flag wins over
 * its variable, which wins over the default. A value that does not fit is one line that
 * names where it came from (`--port` or `STREAMNEST_PORT`) and what is wrong.
 */

/** Parsed command-line flags by name (citty's `args`; values of other types are not ours). */
export type Flags = Readonly<Record<string, unknown>>;
export type Env = Record<string, string | undefined>;

/** A value given for a setting that cannot be used; `message` names its flag or variable. */
export function configError(message: string): StreamNestError {
  return new StreamNestError("INVALID_REQUEST", message);
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

export function readSection<const T extends Settings>(settings: T, flags: Flags, env: Env = process.env): Values<T> {
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(settings)) values[name] = readSetting(setting, flags, env);
  return values as Values<T>;
}

/** One setting's value from its flag, else its environment variable, else its default. */
export function readSetting<S extends Setting>(setting: S, flags: Flags, env: Env = process.env): Parsed<S> {
  const variable = envName(setting);
  const raw = setting.flag === undefined ? undefined : flags[setting.flag];
  const flagged = raw === undefined ? undefined : String(raw);
  const fromEnv = variable === undefined ? undefined : env[variable];
  // An empty variable is as good as unset: Compose writes `FOO=` for a blank entry.
  const [given, source] =
    flagged !== undefined ? [flagged, `--${setting.flag}`] : fromEnv !== undefined && fromEnv !== "" ? [fromEnv, variable] : [undefined, ""];
  if (given === undefined) return defaultOf(setting) as Parsed<S>;
  return parseValue(setting, given, source ?? `--${setting.flag}`) as Parsed<S>;
}

/** A setting's value when its flag or its variable gives one; undefined (not the default) otherwise. */
export function readGiven<S extends Setting>(setting: S, flags: Flags, env: Env = process.env): Parsed<S> | undefined {
  const variable = envName(setting);
  const given = (setting.flag !== undefined && flags[setting.flag] !== undefined) || (variable !== undefined && (env[variable] ?? "") !== "");
  return given ? readSetting(setting, flags, env) : undefined;
}

function defaultOf(setting: Setting): unknown {
  const value = setting.default;
  if (typeof value === "function") return value();
  return Array.isArray(value) ? [...value] : value;
}

/** `given` as the setting's type; `source` (a flag or a variable) names it in errors. */
export function parseValue(setting: Setting, given: string, source: string): unknown {
  switch (setting.kind) {
    case "integer":
      return integer(source, given, setting.min, setting.max);
    case "bytes":
      return bytes(source, given, setting.min);
    case "choice":
      if (!setting.choices.includes(given))
        throw configError(`${source} must be ${oneOf(setting.choices)}, not "${given}"`);
      return given;
    case "address":
      return address(source, given);
    case "addresses":
      return given
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "")
        .map((p) => address(source, p));
    case "text":
      return given;
  }
}

export function integer(source: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = value.trim();
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
    throw configError(`${source} must be a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

/** Bytes, optionally with a binary unit: 1048576, 1MiB, 64m, 1g. */
export function bytes(source: string, value: string, min: number): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  const n = match && unit !== undefined ? Number(match[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min)
    throw configError(`${source} must be a size in bytes of at least ${min} (e.g. 1048576 or 1MiB), not "${value}"`);
  return n;
}

export function address(source: string, value: string): string {
  const trimmed = value.trim();
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(trimmed))
    throw configError(`${source} entries must be host:port, not "${value}"`);
  return trimmed;
}

/** "a, b or c". */
function oneOf(choices: readonly string[]): string {
  return choices.length === 1 ? choices[0] : `${choices.slice(0, -1).join(", ")} or ${choices[choices.length - 1]}`;
}
