import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrokerProcess, runCli, startBroker } from "../helpers/broker-harness.ts";

/**
 * `streamnest users` and `streamnest acls` against a broker run with --auth=token: the
 * admin makes a user, a token and a binding; the user's token does what the binding
 * allows and is refused the rest with the permission named; a non-admin cannot manage.
 */

const root = mkdtempSync(join(tmpdir(), "streamnest-cli-acls-"));
let broker: BrokerProcess;
let stop: () => Promise<void>;
let admin: string;
let meta: string;

beforeAll(async () => {
  const file = join(root, "admin-token");
  ({ broker, stop } = await startBroker({ args: ["--auth=token", `--admin-token-file=${file}`] }));
  admin = readFileSync(file, "utf8").trim();
  meta = `--meta=${broker.url.replace("http://", "")}`;
}, 60_000);
afterAll(async () => {
  await stop?.();
  rmSync(root, { recursive: true, force: true });
});

const asAdmin = (args: string[], stdin?: string) => runCli([...args, meta], { env: { STREAMNEST_TOKEN: admin }, ...(stdin === undefined ? {} : { stdin }) });

test("users add / token / list, acls add / list / remove, and the refusals a user sees", async () => {
  expect((await asAdmin(["topics", "create", "ledger"])).exitCode).toBe(0);
  const added = await asAdmin(["users", "add", "frank", "--password-stdin"], "frank-password\n");
  expect(added.exitCode).toBe(0);
  expect(added.stdout + added.stderr).toContain("created user frank (SCRAM-SHA-256, SCRAM-SHA-512)");
  const again = await asAdmin(["users", "add", "frank"]);
  expect(again.exitCode).toBe(1);
  expect(again.stderr).toContain('user "frank" already exists');

  const issued = await asAdmin(["users", "token", "frank", "--description=cli test"]);
  expect(issued.exitCode).toBe(0);
  const frank = issued.stdout.trim();
  expect(frank).toMatch(/^snt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  expect(JSON.parse((await asAdmin(["users", "list", "--format=json"])).stdout)).toEqual([
    { name: "frank", mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-512"], tokens: 1, super_user: false },
  ]);
  expect((await asAdmin(["users", "list"])).stdout).toBe("frank  SCRAM-SHA-256,SCRAM-SHA-512  tokens: 1\n");

  const asFrank = (args: string[], stdin?: string) => runCli([...args, meta], { env: { STREAMNEST_TOKEN: frank }, ...(stdin === undefined ? {} : { stdin }) });
  const refused = await asFrank(["topics", "describe", "ledger"]);
  expect(refused.exitCode).toBe(1);
  expect(refused.stderr).toContain('User:frank lacks DESCRIBE on topic "ledger"');
  // The producer learns topics from the (filtered) metadata: an invisible topic is one it cannot find.
  const hidden = await asFrank(["producer", "--topic=ledger", "--partition=0"], "one\n");
  expect(hidden.exitCode).toBe(1);
  expect(hidden.stderr).toBe(
    `[error] topic "ledger" does not exist on ${meta.slice("--meta=".length)}, or this token may not see it (that needs DESCRIBE, READ or WRITE on the topic); this token may see no topic\n`,
  );
  const notAdmin = await asFrank(["acls", "list"]);
  expect(notAdmin.exitCode).toBe(1);
  expect(notAdmin.stderr).toContain("User:frank lacks DESCRIBE on the cluster");

  const bad = await asAdmin(["acls", "add", "--allow-principal=User:frank", "--topic=ledger"]);
  expect(bad.exitCode).toBe(1);
  expect(bad.stderr).toContain("--operation is needed");
  const grant = await asAdmin(["acls", "add", "--allow-principal=User:frank", "--operation=write", "--topic=led", "--resource-pattern-type=prefixed"]);
  expect(grant.exitCode).toBe(0);
  expect(grant.stdout + grant.stderr).toContain("added: ALLOW User:frank WRITE on topic led*");
  expect((await asAdmin(["acls", "list"])).stdout).toBe("ALLOW User:frank WRITE on topic led*\n");
  const produced = await asFrank(["producer", "--topic=ledger", "--partition=0"], "one\n");
  expect(produced.exitCode).toBe(0);
  expect((await asFrank(["topics", "list"])).stdout).toBe("ledger\n");

  const removed = await asAdmin(["acls", "remove", "--allow-principal=User:frank", "--operation=WRITE", "--topic=led", "--resource-pattern-type=prefixed"]);
  expect(removed.stdout + removed.stderr).toContain("removed: ALLOW User:frank WRITE on topic led*");
  expect((await asFrank(["topics", "list"])).stdout).toBe("");

  const id = /^snt_([0-9a-f]{16})_/.exec(frank)?.[1] as string;
  expect((await asAdmin(["users", "revoke", id])).exitCode).toBe(0);
  const revoked = await asFrank(["topics", "list"]);
  expect(revoked.exitCode).toBe(1);
  expect(revoked.stderr).toContain("invalid API token");
}, 120_000);
