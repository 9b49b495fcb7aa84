import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StreamNestError } from "../lib/errors.ts";

/**
 * When this broker's data directory was born (KIP-966's question: is this the disk that
 * held the partitions, or a new one?). A data dir wiped (or replaced) while the cluster's
 * metadata still names this broker as a replica of older partitions comes back empty; a
 * partition created before the dir was born whose folder is not in it was lost with the
 * old disk, and must neither be served as an empty log nor count as an in-sync copy
 * (lost-replicas.ts). Recorded in `<dataDir>/meta/disk-birth` on first start: `bornAt` is the
 * time a new (missing or empty) dir was first used, or 0 for a dir that already held
 * data before this file existed (nothing is taken for lost there).
 */

export const DISK_BIRTH_FILE = "disk-birth";

export function readDiskBirth(dataDir: string): number {
  const meta = join(dataDir, "meta");
  const path = join(meta, DISK_BIRTH_FILE);
  if (existsSync(path)) {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { bornAt?: unknown };
    if (typeof parsed.bornAt !== "number" || !Number.isSafeInteger(parsed.bornAt) || parsed.bornAt < 0)
      throw new StreamNestError("STORAGE_ERROR", `${path} is damaged: it holds no birth time`);
    return parsed.bornAt;
  }
  const fresh = !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  const bornAt = fresh ? Date.now() : 0;
  mkdirSync(meta, { recursive: true });
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ bornAt })}\n`);
  renameSync(temporary, path);
  return bornAt;
}
