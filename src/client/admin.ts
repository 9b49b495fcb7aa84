import type { StreamNestClient } from "./client.ts";

/**
 * The /admin/ routes (users, API tokens, ACL bindings) over a StreamNestClient: what the
 * `users` and `acls` commands and the tests call. Every change is committed through the
 * cluster's metadata, so it holds on every broker once the call returns.
 */

export interface AclSpec {
  principal: string;
  operation: string;
  resource_type: string;
  resource_name: string;
  pattern_type?: string;
  permission?: string;
}

export interface AclView extends Required<AclSpec> {}

export interface UserView {
  name: string;
  mechanisms: string[];
  tokens: number;
  /** User:admin, the bootstrap super user: every ACL check passes for it. */
  super_user: boolean;
}

export interface TokenView {
  id: string;
  principal: string;
  created_at: number;
  expires_at?: number;
  description?: string;
}

export interface IssuedToken extends TokenView {
  /** The token itself: shown once, never stored by the brokers. */
  token: string;
}

export class AdminClient {
  constructor(private readonly client: StreamNestClient) {}

  whoami(): Promise<{ principal: string; super_user: boolean; authentication: string }> {
    return this.client.json("GET", "/admin/whoami");
  }

  async listUsers(): Promise<UserView[]> {
    return (await this.client.json<{ users: UserView[] }>("GET", "/admin/users")).users;
  }

  addUser(name: string, password?: string): Promise<{ status: string; user: string; mechanisms: string[] }> {
    return this.client.json("POST", "/admin/users", { body: password === undefined ? { name } : { name, password } });
  }

  deleteUser(name: string): Promise<{ status: string; user: string }> {
    return this.client.json("DELETE", `/admin/users/${encodeURIComponent(name)}`);
  }

  issueToken(name: string, options: { ttlMs?: number; description?: string } = {}): Promise<IssuedToken> {
    const body: Record<string, unknown> = {};
    if (options.ttlMs !== undefined) body.ttl_ms = options.ttlMs;
    if (options.description !== undefined) body.description = options.description;
    return this.client.json("POST", `/admin/users/${encodeURIComponent(name)}/tokens`, { body });
  }

  async listTokens(): Promise<TokenView[]> {
    return (await this.client.json<{ tokens: TokenView[] }>("GET", "/admin/tokens")).tokens;
  }

  revokeToken(id: string): Promise<{ status: string; id: string }> {
    return this.client.json("DELETE", `/admin/tokens/${encodeURIComponent(id)}`);
  }

  async listAcls(): Promise<AclView[]> {
    return (await this.client.json<{ acls: AclView[] }>("GET", "/admin/acls")).acls;
  }

  /** "created", or "exists" when the binding was there already. */
  async addAcl(acl: AclSpec): Promise<string> {
    return (await this.client.json<{ status: string }>("POST", "/admin/acls", { body: acl })).status;
  }

  /** "deleted", or "absent" when there was no such binding. */
  async removeAcl(acl: AclSpec): Promise<string> {
    return (await this.client.json<{ status: string }>("DELETE", "/admin/acls", { body: acl })).status;
  }
}
