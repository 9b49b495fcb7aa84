import type { StructType } from "./schema.ts";

/**
 * One Kafka API, declared once: its key, the versions StreamNest offers, the first
 * flexible version (KIP-482) and the request and response structs whose fields carry
 * their own version ranges.
 */
export interface ApiDef<N extends string = string, Req = unknown, Res = unknown> {
  readonly key: number;
  readonly name: N;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First version using compact strings/arrays and tagged fields; Infinity if none. */
  readonly flexibleFrom: number;
  readonly request: StructType<Req>;
  readonly response: StructType<Res>;
}

export function defineApi<const N extends string, Req, Res>(def: ApiDef<N, Req, Res>): ApiDef<N, Req, Res> {
  if (def.minVersion > def.maxVersion) throw new TypeError(`${def.name}: empty version range`);
  return def;
}

export function isFlexible(api: ApiDef, version: number): boolean {
  return version >= api.flexibleFrom;
}

export type RequestOf<A> = A extends ApiDef<string, infer Req, unknown> ? Req : never;
export type ResponseOf<A> = A extends ApiDef<string, unknown, infer Res> ? Res : never;
