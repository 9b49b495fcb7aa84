import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Creates the broker's data folder if needed and checks it can be written, so an unusable
 * `--data-dir` is one line naming the folder and the reason instead of an errno from deep
 * inside the first store that touches it. Returns the problem, or undefined when usable.
 */
export function dataDirProblem(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    return `cannot use data dir ${dir}: ${reason(dir, error)}`;
  }
}

function reason(dir: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case "EEXIST":
    case "ENOTDIR": {
      const file = nearestNonFolder(dir);
      return file === dir ? "it is a file, not a folder" : `${file} is a file, not a folder`;
    }
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "the file system is read-only";
    case "ENOSPC":
      return "no space left on the device";
    case "ENAMETOOLONG":
      return "the path is too long";
    case "ELOOP":
      return "too many symbolic links in the path";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** The path itself or its closest ancestor that exists and is not a folder. */
function nearestNonFolder(dir: string): string {
  for (let path = dir; ; path = dirname(path)) {
    try {
      if (!statSync(path).isDirectory()) return path;
    } catch {
      // missing (or unreadable): look further up
    }
    if (dirname(path) === path) return dir;
  }
}
