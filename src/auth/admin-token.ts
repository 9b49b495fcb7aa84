import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { StreamNestError } from "../lib/errors.ts";
import { type ApiTokenRecord, issueApiToken, tokenId, tokenSha256 } from "./api-token.ts";
import { type Principal, userPrincipal } from "./principal.ts";

/**
 * The first credential of a cluster with authentication on (the bootstrap): one API token
 * of User:admin, a super user, kept in a file readable by its owner only. The broker (or
 * the launcher, for all of its brokers) creates the file when it is missing; every broker
 * started with the same file accepts the same token. Only the token's hash stays in memory.
 */
export const ADMIN_PRINCIPAL: Principal = userPrincipal("admin");

export interface AdminToken {
  readonly record: ApiTokenRecord;
  /** True when this call created the file (say so once, where the operator sees it). */
  readonly created: boolean;
}

export function loadOrCreateAdminToken(path: string, now: number = Date.now()): AdminToken {
  let created = false;
  try {
    // "wx": never overwrite a token someone else created in between.
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, `${issueApiToken(ADMIN_PRINCIPAL, { now, description: "bootstrap admin" }).token}\n`);
    } finally {
      closeSync(fd);
    }
    created = true;
  } catch (error) {
    if ((error as { code?: unknown }).code !== "EEXIST") throw fileError(path, error);
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw fileError(path, error);
  }
  const token = text.trim();
  const id = tokenId(token);
  if (id === undefined)
    throw new StreamNestError("INVALID_REQUEST", `the admin token file ${path} holds no API token (snt_<16 hex>_<43 base64url>)`);
  return { record: { id, principal: ADMIN_PRINCIPAL, sha256: tokenSha256(token), createdAt: 0 }, created };
}

function fileError(path: string, error: unknown): StreamNestError {
  const code = (error as { code?: unknown }).code;
  return new StreamNestError("INVALID_REQUEST", `cannot use the admin token file ${path} (${typeof code === "string" ? code : (error as Error).message})`);
}
