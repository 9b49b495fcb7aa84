/** Real partition logs in a temporary folder, closed and removed after each test. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PartitionLog } from "../../src/storage/partition-log.ts";

export class TempLogs {
  readonly root = mkdtempSync(join(tmpdir(), "streamnest-groups-"));
  private readonly open = new Set<PartitionLog>();
  readonly warnings: string[] = [];

  /** Opens (or reopens) the log `name` under the temporary root. */
  log(name: string): PartitionLog {
    const log = PartitionLog.open(join(this.root, name), { fsync: "never" }, (m) => this.warnings.push(m));
    this.open.add(log);
    return log;
  }

  async close(log: PartitionLog): Promise<void> {
    this.open.delete(log);
    await log.close();
  }

  async dispose(): Promise<void> {
    for (const log of this.open) await log.close();
    this.open.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}
