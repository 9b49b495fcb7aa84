import { renderUsage, type ArgDef, type ArgsDef, type CommandDef, type Resolvable, type SubCommandsDef } from "citty";

/**
 * Checks a command line against the commands' flag definitions before citty runs it.
 * citty ignores an unknown flag (`--partiton=1` would silently write round-robin),
 * ignores extra words, lets a string flag swallow the next flag as its value
 * (`--topic --meta=x`), and answers its own errors with the whole usage text; here
 * every such mistake is one line that names it.
 */
export interface CommandLineProblem {
  message: string;
  /** Set when the usage of this command is the most useful answer (no command given). */
  usage?: CommandPath;
}

/** A command and the words that name it (`["streamnest", "topics", "create"]`). */
export interface CommandPath {
  cmd: CommandDef<ArgsDef>;
  path: string[];
}

type AnyCommand = CommandDef<ArgsDef>;

export const HELP_FLAGS = ["--help", "-h"];
const VERSION_FLAGS = ["--version", "-v"];

export async function commandLineProblem(
  root: AnyCommand,
  rawArgs: readonly string[],
): Promise<CommandLineProblem | undefined> {
  // citty answers these itself, wherever --help stands; there is nothing to run.
  if (rawArgs.some((arg) => HELP_FLAGS.includes(arg))) return undefined;
  if (rawArgs.length === 1 && VERSION_FLAGS.includes(rawArgs[0])) return undefined;

  let cmd = root;
  let args = [...rawArgs];
  const path = [(await resolve(root.meta))?.name ?? "streamnest"];
  for (;;) {
    const subCommands: SubCommandsDef | undefined = await resolve(cmd.subCommands);
    const defs = Object.entries((await resolve(cmd.args)) ?? {});
    const name = path.join(" ");
    if (subCommands === undefined || Object.keys(subCommands).length === 0) return argsProblem(name, defs, args);

    const at = args.findIndex((arg) => !arg.startsWith("-"));
    const before = at === -1 ? args : args.slice(0, at);
    const commands = Object.keys(subCommands);
    // Flags before the command word: the group commands take none of their own.
    const early = argsProblem(name, defs, before);
    if (early) {
      const flag = before.find((arg) => arg.startsWith("-"));
      if (at === -1 || flag === undefined || !Object.hasOwn(subCommands, args[at])) return early;
      return { message: `${flag} goes after the command: ${name} ${args[at]} ${flag}` };
    }
    if (at === -1)
      return {
        message: `no command given: ${name} takes one of ${commands.join(", ")}`,
        usage: { cmd, path },
      };
    const word = args[at];
    if (!Object.hasOwn(subCommands, word)) {
      const guess = closest(word, commands);
      return {
        message: `unknown command "${word}" for ${name}${guess ? ` (did you mean ${guess}?)` : ""}; the commands are ${commands.join(", ")}`,
      };
    }
    cmd = (await resolve(subCommands[word])) as AnyCommand;
    path.push(word);
    args = args.slice(at + 1);
  }
}

/** The command `--help` is about: as far down as the command words name commands. */
export async function helpTarget(root: AnyCommand, rawArgs: readonly string[]): Promise<CommandPath> {
  let cmd = root;
  const path = [(await resolve(root.meta))?.name ?? "streamnest"];
  for (const word of rawArgs) {
    if (word.startsWith("-")) continue;
    const subCommands: SubCommandsDef | undefined = await resolve(cmd.subCommands);
    if (!subCommands || !Object.hasOwn(subCommands, word)) break;
    cmd = (await resolve(subCommands[word])) as AnyCommand;
    path.push(word);
  }
  return { cmd, path };
}

/**
 * citty's usage text, named by the whole command line: citty itself knows only the
 * parent's name, and prints `topics create` for `streamnest topics create`.
 */
export async function usageText({ cmd, path }: CommandPath, version: string): Promise<string> {
  const parent = path.length > 1 ? { meta: { name: path.slice(0, -1).join(" "), version } } : undefined;
  return renderUsage(cmd, parent);
}

function argsProblem(
  command: string,
  defs: Array<[string, ArgDef]>,
  args: readonly string[],
): CommandLineProblem | undefined {
  const flags = defs.filter(([, def]) => def.type !== "positional");
  const positionalDefs = defs.filter(([, def]) => def.type === "positional");
  const seeHelp = `see ${command} --help`;
  const find = (name: string) => flags.find(([flag]) => flag === name || camelCase(flag) === name)?.[1];
  const positionals: string[] = [];

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    // A lone "-" and negative numbers are values, not flags.
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith("--")) return { message: `unknown option ${arg} for ${command} (${seeHelp})` };
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const def = find(name);
    // citty reads --no-<flag> as <flag>=false: only a switch can be turned off that way.
    if (def === undefined && name.startsWith("no-") && inline === undefined) {
      const negated = find(name.slice(3));
      if (negated?.type === "boolean") continue;
      if (negated !== undefined) return { message: `--${name.slice(3)} is not a switch: --${name} means nothing (${seeHelp})` };
    }
    if (def === undefined) {
      const guess = closest(name, flags.map(([flag]) => flag));
      return {
        message: `unknown option --${name} for ${command}${guess ? ` (did you mean --${guess}?)` : ` (${seeHelp})`}`,
      };
    }
    if (def.type === "boolean") {
      if (inline !== undefined && inline !== "true" && inline !== "false")
        return { message: `--${name} is a switch and takes no value, not "${inline}"` };
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = args[i + 1];
      const hint = def.type === "enum" && def.options ? def.options.join("|") : (def.valueHint ?? "value");
      if (next === undefined || next.startsWith("--"))
        return { message: `--${name} needs a value: --${name}=<${hint}>` };
      value = next;
      i++;
    }
    if (def.type === "enum" && def.options && !def.options.includes(value))
      return { message: `--${name} must be one of ${def.options.join(", ")}, not "${value}"` };
  }

  if (positionals.length > positionalDefs.length) {
    const extra = positionals[positionalDefs.length];
    return {
      message:
        positionalDefs.length === 0
          ? `unexpected argument "${extra}": ${command} takes only options (${seeHelp})`
          : `unexpected argument "${extra}": ${command} takes ${positionalDefs.map(([n]) => `<${n.toUpperCase()}>`).join(" ")} once (${seeHelp})`,
    };
  }
  const missing = positionalDefs
    .slice(positionals.length)
    .find(([, def]) => def.required !== false && def.default === undefined);
  if (missing) {
    const [name, def] = missing;
    const usage = `${command} ${positionalDefs.map(([n]) => `<${n.toUpperCase()}>`).join(" ")}`;
    return { message: `missing the ${def.description ?? name}: ${usage}` };
  }
  return undefined;
}

async function resolve<T>(value: Resolvable<T> | undefined): Promise<T | undefined> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

/** citty also takes a flag in camelCase (--fromBeginning for --from-beginning). */
function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The known word nearest to a typo, if one is close enough to be what was meant. */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const allowed = Math.max(1, Math.min(2, Math.floor(word.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let beforePrevious = previous;
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      // Two letters swapped is one slip of the fingers.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], beforePrevious[j - 2] + 1);
    }
    [beforePrevious, previous] = [previous, row];
  }
  return previous[b.length];
}
