/**
 * The shape of one tunable. Every tunable of StreamNest is declared once, in the section
 * file it belongs to (core.ts, http.ts, cluster.ts, client.ts): its name, its unit, its
 * default and why it is what it is. One an operator sets also has a flag (and with it an
 * environment variable); the rest are limits fixed at build time, declared here so that
 * every number a broker runs by is in one place.
 */

export type Unit = "ms" | "bytes" | "count" | "port";

interface Declared {
  /** What it is, for `--help` (lower case, no final full stop). */
  help: string;
  unit?: Unit;
  /**
   * The command-line flag (kebab-case), when an operator may set it; its environment
   * variable is STREAMNEST_<FLAG> (see envName), unless `env` is false.
   */
  flag?: string;
  /** False where a value inherited from the environment would do harm (launcher-only flags). */
  env?: false;
  /** `--flag=<hint>` in `--help`. */
  hint?: string;
  /** The default as `--help` shows it, where the value alone would not say it well. */
  defaultText?: string;
}

export interface IntegerSetting extends Declared {
  kind: "integer";
  default?: number | (() => number);
  min: number;
  max?: number;
}

/** A size in bytes; on the command line also with a binary unit (64m, 1MiB, 1g). */
export interface BytesSetting extends Declared {
  kind: "bytes";
  default?: number;
  min: number;
}

export interface TextSetting extends Declared {
  kind: "text";
  default?: string;
}

export interface ChoiceSetting<C extends string = string> extends Declared {
  kind: "choice";
  choices: readonly C[];
  default?: C;
}

/** One host:port. */
export interface AddressSetting extends Declared {
  kind: "address";
  default?: string;
}

/** Comma-separated host:port entries. */
export interface AddressListSetting extends Declared {
  kind: "addresses";
  default?: readonly string[];
}

export type Setting = IntegerSetting | BytesSetting | TextSetting | ChoiceSetting | AddressSetting | AddressListSetting;

/** A fixed limit (no flag): declared like a setting so that its reason is written beside it. */
export interface Limit<T> {
  value: T;
  unit?: Unit;
  help: string;
}

export function limit<T>(value: T, help: string, unit?: Unit): Limit<T> {
  return unit === undefined ? { value, help } : { value, help, unit };
}

/** A section: settings by their config name (camelCase). */
export type Settings = Record<string, Setting>;

/** STREAMNEST_ID for --id, STREAMNEST_MAX_MESSAGE_BYTES for --max-message-bytes. */
export function envName(setting: Setting): string | undefined {
  if (setting.flag === undefined || setting.env === false) return undefined;
  return `STREAMNEST_${setting.flag.toUpperCase().replace(/-/g, "_")}`;
}

type ValueOf<S extends Setting> = S extends IntegerSetting | BytesSetting
  ? number
  : S extends AddressListSetting
    ? string[]
    : S extends ChoiceSetting<infer C>
      ? C
      : string;

/** A setting's parsed value: always present when it has a default. */
export type Parsed<S extends Setting> = S extends { default: unknown } ? ValueOf<S> : ValueOf<S> | undefined;

/** The parsed values of a section. */
export type Values<T extends Settings> = { [K in keyof T]: Parsed<T[K]> };

/** Declares a section, keeping each setting's literal type (its default, its choices). */
export function section<const T extends Settings>(settings: T): T {
  return settings;
}
