/**
 * `streamnest broker --count=N`: the local supervisor that spawns N brokers.
 * (Being built under the cluster issue; this signature is what commands/broker.ts calls.)
 */
export interface LocalClusterOptions {
  count: number;
  basePort: number;
  /** Parent folder; broker i keeps its data in <dataDir>/broker-<i>. */
  dataDir: string;
  host?: string;
  /** Flags passed through to every broker (e.g. --fsync=always). */
  brokerArgs: string[];
}

export async function runLocalCluster(options: LocalClusterOptions): Promise<number> {
  void options;
  throw new Error("the local cluster launcher is not built yet");
}
