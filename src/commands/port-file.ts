import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";

/**
 * `--port-file`: the port a broker listens on, for whoever started it with `--port=0`.
 * Written to a temporary file beside it and renamed into place (as nats-server writes
 * its ports file), so a reader polling for the file never sees it half written.
 */

/** Writes `port` (and a newline) to `path`; returns why it could not, if so. */
export function writePortFile(path: string, port: number): string | undefined {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, `${port}\n`);
    renameSync(temporary, path);
    return undefined;
  } catch (error) {
    rmSync(temporary, { force: true });
    return `cannot write the port file ${path}: ${why(error)}`;
  }
}

/** Removes the file on a clean stop, unless another broker has written its own port there since. */
export function removePortFile(path: string, port: number): void {
  try {
    if (readFileSync(path, "utf8").trim() === String(port)) rmSync(path, { force: true });
  } catch {
    // already gone, or never readable: nothing of ours to remove
  }
}

function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR") return "its folder does not exist";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a folder";
  return (error as Error).message;
}
