import { defineCommand } from "citty";
import { type AclSpec, type AclView, AdminClient } from "../client/index.ts";
import { clientFor, metaArg, tlsArgs, tokenArg } from "./cli/args.ts";
import { guarded, usageError } from "./cli/fail.ts";
import { exit, log, out } from "./cli/output.ts";

/**
 * `streamnest acls`: Kafka-style ACL bindings kept in the cluster's replicated metadata,
 * with kafka-acls' vocabulary (--allow-principal/--deny-principal, --operation, --topic,
 * --group, --cluster, --resource-pattern-type prefixed).
 */

const connection = { meta: metaArg, token: tokenArg, ...tlsArgs };
const bindingArgs = {
  ...connection,
  "allow-principal": { type: "string" as const, description: "User:<name> (or User:*) the binding allows", valueHint: "principal" },
  "deny-principal": { type: "string" as const, description: "User:<name> (or User:*) the binding denies", valueHint: "principal" },
  operation: { type: "string" as const, description: "ALL, READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, …", valueHint: "op" },
  topic: { type: "string" as const, description: "a topic name, * for every topic, or a prefix", valueHint: "name" },
  group: { type: "string" as const, description: "a group name, * for every group, or a prefix", valueHint: "name" },
  cluster: { type: "boolean" as const, description: "the cluster itself (admin operations)" },
  "resource-pattern-type": { type: "enum" as const, options: ["literal", "prefixed"], default: "literal", description: "prefixed: the name is a prefix" },
};

interface BindingFlags {
  "allow-principal"?: string;
  "deny-principal"?: string;
  operation?: string;
  topic?: string;
  group?: string;
  cluster?: boolean;
  "resource-pattern-type"?: string;
}

/** The binding the flags describe, or a usage error naming what is missing. */
export function bindingFromFlags(flags: BindingFlags): AclSpec {
  const allow = flags["allow-principal"];
  const deny = flags["deny-principal"];
  if ((allow === undefined) === (deny === undefined)) throw usageError("give one of --allow-principal or --deny-principal");
  if (flags.operation === undefined) throw usageError("--operation is needed (e.g. READ, WRITE, CREATE, DESCRIBE, ALL)");
  const resources = [flags.topic !== undefined, flags.group !== undefined, flags.cluster === true].filter(Boolean).length;
  if (resources !== 1) throw usageError("give exactly one of --topic, --group or --cluster");
  const [type, name] = flags.topic !== undefined ? ["TOPIC", flags.topic] : flags.group !== undefined ? ["GROUP", flags.group] : ["CLUSTER", "kafka-cluster"];
  return {
    principal: (allow ?? deny) as string,
    permission: allow !== undefined ? "ALLOW" : "DENY",
    operation: flags.operation.toUpperCase(),
    resource_type: type,
    resource_name: name,
    pattern_type: (flags["resource-pattern-type"] ?? "literal").toUpperCase(),
  };
}

export function renderAcl(acl: AclView): string {
  const target = acl.resource_type === "CLUSTER" ? "cluster" : `${acl.resource_type.toLowerCase()} ${acl.pattern_type === "PREFIXED" ? `${acl.resource_name}*` : acl.resource_name}`;
  return `${acl.permission} ${acl.principal} ${acl.operation} on ${target}`;
}

const list = defineCommand({
  meta: { name: "list", description: "List the ACL bindings" },
  args: { ...connection, format: { type: "enum", options: ["text", "json"], default: "text", description: "text for people, json for scripts" } },
  async run({ args }) {
    await guarded(async () => {
      const acls = await new AdminClient(clientFor(args.meta, args)).listAcls();
      if (args.format === "json") await out(`${JSON.stringify(acls)}\n`);
      else await out(acls.map((a) => `${renderAcl(a)}\n`).join(""));
      await exit(0);
    });
  },
});

const add = defineCommand({
  meta: { name: "add", description: "Add an ACL binding" },
  args: bindingArgs,
  async run({ args }) {
    await guarded(async () => {
      const binding = bindingFromFlags(args);
      const status = await new AdminClient(clientFor(args.meta, args)).addAcl(binding);
      log.success(`${status === "created" ? "added" : "already there"}: ${renderAcl({ ...binding, permission: binding.permission ?? "ALLOW", pattern_type: binding.pattern_type ?? "LITERAL" })}`);
      await exit(0);
    });
  },
});

const remove = defineCommand({
  meta: { name: "remove", description: "Remove an ACL binding" },
  args: bindingArgs,
  async run({ args }) {
    await guarded(async () => {
      const binding = bindingFromFlags(args);
      const status = await new AdminClient(clientFor(args.meta, args)).removeAcl(binding);
      log.success(`${status === "deleted" ? "removed" : "no such binding"}: ${renderAcl({ ...binding, permission: binding.permission ?? "ALLOW", pattern_type: binding.pattern_type ?? "LITERAL" })}`);
      await exit(0);
    });
  },
});

export default defineCommand({
  meta: { name: "acls", description: "Manage ACL bindings (Kafka's kafka-acls, kept in the cluster metadata)" },
  subCommands: { list, add, remove },
});
