import { envName, type Setting, type Settings } from "./setting.ts";

/**
 * citty flag definitions derived from the declarations, so `--help` shows each flag with
 * its default and its environment variable, and no default is written twice.
 */

/** The shape of a citty string flag (citty's own ArgDef, kept structural so config imports nothing but lib). */
export interface StringArg {
  type: "string";
  description: string;
  valueHint?: string;
}

/** `--help` text of one setting: what it is, its default, its environment variable. */
export function helpText(setting: Setting): string {
  const notes: string[] = [];
  const shown = defaultShown(setting);
  if (shown !== undefined) notes.push(`default ${shown}`);
  const variable = envName(setting);
  if (variable !== undefined) notes.push(`$${variable}`);
  return notes.length === 0 ? setting.help : `${setting.help} (${notes.join("; ")})`;
}

function defaultShown(setting: Setting): string | undefined {
  const value = typeof setting.default === "function" ? setting.default() : setting.default;
  if (setting.defaultText !== undefined)
    return value === undefined || Array.isArray(value) ? setting.defaultText : `${setting.defaultText}: ${show(setting, value)}`;
  return value === undefined ? undefined : show(setting, value);
}

function show(setting: Setting, value: number | string | readonly string[]): string {
  if (Array.isArray(value)) return value.join(",");
  if (setting.kind === "bytes" && typeof value === "number") return sizeText(value);
  return String(value);
}

/** 1048576 as 1MiB; a size that is no whole number of a unit stays in bytes. */
export function sizeText(bytes: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const)
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

/** One citty flag for a setting that has one. */
export function argOf(setting: Setting & { flag: string }): StringArg {
  return { type: "string", description: helpText(setting), ...(setting.hint ? { valueHint: setting.hint } : {}) };
}

/** citty `args` for every flagged setting of the sections, keyed by flag, in declaration order. */
export function argsOf(...sections: Settings[]): Record<string, StringArg> {
  const args: Record<string, StringArg> = {};
  for (const section of sections)
    for (const setting of Object.values(section)) if (hasFlag(setting)) args[setting.flag] = argOf(setting);
  return args;
}

function hasFlag(setting: Setting): setting is Setting & { flag: string } {
  return setting.flag !== undefined;
}
