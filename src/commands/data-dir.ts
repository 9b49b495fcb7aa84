import { accessSync, constants, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Creates the broker's data folder if needed and checks it can be written, so an unusable
 * `--data-dir` is one line naming the folder and the reason instead of an errno from deep
 * inside the first store that touches it. Returns the problem, or undefined when usable.
 */
export function dataDirProblem(dir: string, brokerId?: number): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    return `cannot use data dir ${dir}: ${reason(dir, error)}`;
  }
  return brokerId === undefined ? undefined : identityProblem(dir, brokerId);
}

/** Where a data dir records the id of the broker whose data it holds. */
export const IDENTITY_FILE = join("meta", "broker.json");

/**
 * A data dir belongs to one broker id for good, as Kafka's meta.properties pins
 * node.id: a broker started with another id would hold partitions the metadata says
 * broker N leads, answer for none of them, and join the cluster as an extra member at
 * N's address. The first start records its id (claimDataDir, once the folder is locked);
 * a later start with another id is refused before anything in the folder is opened.
 */
function identityProblem(dir: string, brokerId: number): string | undefined {
  const file = join(dir, IDENTITY_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return `cannot use data dir ${dir}: ${reason(dir, error)}`;
  }
  const stored = storedId(text);
  if (stored === undefined)
    return `cannot use data dir ${dir}: ${file} does not say which broker the folder belongs to; if it is broker ${brokerId}'s, delete that file`;
  if (stored !== brokerId)
    return `data dir ${dir} holds the data of broker ${stored}, not broker ${brokerId}: start broker ${stored} with it (--id=${stored}), or give broker ${brokerId} its own --data-dir`;
  return undefined;
}

/**
 * Records that `dir` is broker `brokerId`'s, if no id is recorded yet; run while the
 * broker holds the folder's lock. The record is made complete under a temporary name
 * and linked into place, so a crash never leaves half of one. Returns the problem, if any.
 */
export function claimDataDir(dir: string, brokerId: number): string | undefined {
  const file = join(dir, IDENTITY_FILE);
  try {
    mkdirSync(dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ id: brokerId })}\n`);
    try {
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
  } catch (error) {
    return `cannot use data dir ${dir}: ${reason(dir, error)}`;
  }
  return identityProblem(dir, brokerId);
}

function storedId(text: string): number | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    const id = value !== null && typeof value === "object" && "id" in value ? value.id : undefined;
    return typeof id === "number" && Number.isSafeInteger(id) && id >= 1 ? id : undefined;
  } catch {
    return undefined;
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
