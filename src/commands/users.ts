import { defineCommand } from "citty";
import { AdminClient } from "../client/index.ts";
import { clientFor, integerFlag, metaArg, tlsArgs, tokenArg } from "./cli/args.ts";
import { guarded, usageError } from "./cli/fail.ts";
import { exit, log, out } from "./cli/output.ts";

/**
 * `streamnest users`: users and their API tokens, kept in the cluster's replicated
 * metadata (needs a token with ALTER on the cluster, e.g. the bootstrap admin's). A
 * password is read from standard input, never from the command line (`ps` shows argv).
 */

const formatArg = { type: "enum" as const, options: ["text", "json"], default: "text", description: "text for people, json for scripts" };
const nameArg = { type: "positional", description: "user name (the principal is User:<name>)", required: true } as const;
const connection = { meta: metaArg, token: tokenArg, ...tlsArgs };

const admin = (args: { meta?: string; token?: string } & Record<string, unknown>) => new AdminClient(clientFor(args.meta, args));

const list = defineCommand({
  meta: { name: "list", description: "List users with their SCRAM mechanisms and token counts" },
  args: { ...connection, format: formatArg },
  async run({ args }) {
    await guarded(async () => {
      const users = await admin(args).listUsers();
      if (args.format === "json") await out(`${JSON.stringify(users)}\n`);
      else await out(users.map((u) => `${u.name}  ${u.mechanisms.join(",") || "-"}  tokens: ${u.tokens}${u.super_user ? "  super user" : ""}\n`).join(""));
      await exit(0);
    });
  },
});

const add = defineCommand({
  meta: { name: "add", description: "Create a user; with --password-stdin, with SCRAM credentials from the password on standard input" },
  args: { name: nameArg, ...connection, "password-stdin": { type: "boolean", description: "read the password (first line) from standard input" } },
  async run({ args }) {
    await guarded(async () => {
      let password: string | undefined;
      if (args["password-stdin"]) {
        password = (await Bun.stdin.text()).split(/\r?\n/)[0] ?? "";
        if (password === "") throw usageError("--password-stdin: standard input holds no password");
      }
      const created = await admin(args).addUser(args.name, password);
      log.success(`created user ${created.user}${created.mechanisms.length > 0 ? ` (${created.mechanisms.join(", ")})` : " (tokens only)"}`);
      await exit(0);
    });
  },
});

const remove = defineCommand({
  meta: { name: "delete", description: "Delete a user and its tokens (its ACL bindings stay)" },
  args: { name: nameArg, ...connection },
  async run({ args }) {
    await guarded(async () => {
      await admin(args).deleteUser(args.name);
      log.success(`deleted user ${args.name}`);
      await exit(0);
    });
  },
});

const token = defineCommand({
  meta: { name: "token", description: "Issue an API token for a user and print it (shown this once)" },
  args: {
    name: nameArg,
    ...connection,
    "ttl-ms": { type: "string", description: "lifetime in ms (default: until revoked)", valueHint: "ms" },
    description: { type: "string", description: "what the token is for" },
    format: formatArg,
  },
  async run({ args }) {
    await guarded(async () => {
      const ttlMs = integerFlag("ttl-ms", args["ttl-ms"], 1);
      const issued = await admin(args).issueToken(args.name, {
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        ...(args.description !== undefined ? { description: args.description } : {}),
      });
      if (args.format === "json") await out(`${JSON.stringify(issued)}\n`);
      else await out(`${issued.token}\n`);
      await exit(0);
    });
  },
});

const tokens = defineCommand({
  meta: { name: "tokens", description: "List API tokens (ids, owners, expiry; never the tokens)" },
  args: { ...connection, format: formatArg },
  async run({ args }) {
    await guarded(async () => {
      const list = await admin(args).listTokens();
      if (args.format === "json") await out(`${JSON.stringify(list)}\n`);
      else
        await out(
          list
            .map((t) => `${t.id}  ${t.principal}  ${t.expires_at === undefined ? "no expiry" : `expires ${new Date(t.expires_at).toISOString()}`}${t.description ? `  ${t.description}` : ""}\n`)
            .join(""),
        );
      await exit(0);
    });
  },
});

const revoke = defineCommand({
  meta: { name: "revoke", description: "Revoke an API token by its id" },
  args: { id: { type: "positional", description: "token id (16 hex digits, the part after snt_)", required: true }, ...connection },
  async run({ args }) {
    await guarded(async () => {
      await admin(args).revokeToken(args.id);
      log.success(`revoked token ${args.id}`);
      await exit(0);
    });
  },
});

export default defineCommand({
  meta: { name: "users", description: "Manage users and API tokens (kept in the cluster metadata)" },
  subCommands: { list, add, delete: remove, token, tokens, revoke },
});
