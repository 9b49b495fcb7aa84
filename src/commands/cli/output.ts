import { createConsola, type ConsolaOptions } from "consola";

/**
 * Standard output carries the dialogue and the messages, and nothing else, so that it
 * can be piped; every log line goes to standard error through consola.
 */
// consola's node build takes `fancy`; its browser typings (what tsc resolves) do not.
const options: Partial<ConsolaOptions> & { fancy: boolean } = {
  stdout: process.stderr,
  stderr: process.stderr,
  // One plain line per event: a log line must read well in a terminal and in a file.
  fancy: false,
  formatOptions: { date: false },
  // consola lowers its level under NODE_ENV=test or CI; a CLI says the same thing everywhere.
  level: 3,
};
export const log = createConsola(options);

let pending: Promise<void> = Promise.resolve();
let closed = false;

// A reader that went away (`consumer … | head`) is a normal end, not a crash. Any other
// failure to write (a full disk, `> /dev/full`) loses output: say so and exit 1 rather
// than report success.
function writeFailed(error: NodeJS.ErrnoException): never {
  closed = true;
  if (error.code === "EPIPE") process.exit(0);
  log.error(`cannot write to standard output: ${error.message}`);
  process.exit(1);
}
process.stdout.on("error", writeFailed);

/** Writes to standard output; resolves once the text has been handed to the OS. */
export function out(text: string): Promise<void> {
  if (closed) return pending;
  pending = new Promise((resolve) => {
    // A failed write ends the process here: resolving would let exit(0) win the race.
    process.stdout.write(text, (error) => (error ? writeFailed(error) : resolve()));
  });
  return pending;
}

/** Resolves when everything written so far has left. */
export function flushed(): Promise<void> {
  return pending;
}

/** Exits once standard output has been written out (a plain process.exit may cut it). */
export async function exit(code: number): Promise<never> {
  await flushed();
  process.exit(code);
}
