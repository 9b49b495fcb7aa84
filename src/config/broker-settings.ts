import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CLUSTER } from "./cluster.ts";
import { CORE } from "./core.ts";
import { HTTP } from "./http.ts";
import { configError, readGiven, type Env, type Flags, readSection } from "./read.ts";
import type { Values } from "./setting.ts";

/**
 * Everything one broker is started with, read from its flags and environment and
 * checked, by section: what the core needs, what the HTTP listener needs, what the
 * cluster layer needs. The defaults that depend on other settings are filled in here
 * (the data dir on the id, the advertised address on the port).
 */

export type CoreSettings = Omit<Values<typeof CORE>, "id" | "dataDir"> & { id: number; dataDir: string };
export type HttpSettings = Omit<Values<typeof HTTP>, "portFile" | "allowedHosts"> & { portFile?: string; allowedHosts?: string };
export type ClusterSettings = Omit<Values<typeof CLUSTER>, "advertise" | "clusterSecret" | "clusterSecretFile"> & {
  /** host:port; with --port=0, port 0 until the broker has its port (see withPort). */
  advertise: string;
  clusterSecret?: string;
};

export interface BrokerSettings {
  core: CoreSettings;
  http: HttpSettings;
  cluster: ClusterSettings;
}

export function readBrokerSettings(flags: Flags, env: Env = process.env): BrokerSettings {
  const core = readSection(CORE, flags, env);
  const http = readSection(HTTP, flags, env);
  const cluster = readSection(CLUSTER, flags, env);
  if (core.id === undefined)
    throw configError("--id is required (a whole number of at least 1; or $STREAMNEST_ID), or --count=N for a local cluster");
  const { id, dataDir, ...coreRest } = core;
  const { portFile, allowedHosts, ...httpRest } = http;
  const { advertise, clusterSecret: _given, clusterSecretFile: _file, ...clusterRest } = cluster;
  const clusterSecret = readClusterSecret(flags["cluster-secret"] as string | undefined, env, flags["cluster-secret-file"] as string | undefined);
  return {
    core: { ...coreRest, id, dataDir: resolve(dataDir ?? `data/broker-${id}`) },
    http: {
      ...httpRest,
      ...(portFile !== undefined && portFile !== "" ? { portFile: resolve(portFile) } : {}),
      ...(allowedHosts !== undefined && allowedHosts !== "" ? { allowedHosts } : {}),
    },
    cluster: {
      ...clusterRest,
      advertise: withPort(advertise ?? advertisedAddress(0), http.port),
      ...(clusterSecret !== undefined ? { clusterSecret } : {}),
    },
  };
}

/**
 * The one lookup of the cluster secret: `--cluster-secret`, else `--cluster-secret-file`,
 * else STREAMNEST_CLUSTER_SECRET, else the file STREAMNEST_CLUSTER_SECRET_FILE names. An
 * empty value (`--cluster-secret=` or an empty variable) counts as none.
 */
export function readClusterSecret(flag: string | undefined, env: Env = process.env, fileFlag?: string): string | undefined {
  if (flag !== undefined && flag !== "") return flag;
  if (fileFlag !== undefined && fileFlag !== "") return readSecretFile(fileFlag, "--cluster-secret-file");
  const value = readGiven(CLUSTER.clusterSecret, {}, env);
  if (value !== undefined && value !== "") return value;
  const file = readGiven(CLUSTER.clusterSecretFile, {}, env);
  return file !== undefined && file !== "" ? readSecretFile(file, "STREAMNEST_CLUSTER_SECRET_FILE") : undefined;
}

/** A secret kept in a file: its text without the final line break an editor adds. */
function readSecretFile(path: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw configError(`${source}: cannot read ${path} (${typeof code === "string" ? code : (error as Error).message})`);
  }
  const secret = text.replace(/\r?\n$/, "");
  if (secret === "") throw configError(`${source}: ${path} is empty`);
  return secret;
}

/** The address a broker on `port` advertises when --advertise names none. */
export function advertisedAddress(port: number): string {
  return `localhost:${port}`;
}

/**
 * Port 0 in an advertised address stands for the port the broker listens on: `host:0`
 * becomes `host:<port>` once the port is known (not 0); other addresses stay as they are.
 */
export function withPort(address: string, port: number): string {
  return port === 0 ? address : address.replace(/:0+$/, `:${port}`);
}
