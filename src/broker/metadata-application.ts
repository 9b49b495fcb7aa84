import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { topicNameProblem } from "../lib/topic-name.ts";
import type { CoreContext } from "./core-context.ts";
import type { MetadataDocument } from "./metadata.ts";
import type { TopicState } from "./topic-catalog.ts";

/**
 * Brings the topic states in line with a new metadata document, whoever changed it.
 * `adopted`: a whole document taken from a peer (catching up), whose deletions this
 * broker did not see happen, so removing their data here is said in the log.
 */
export function applyMetadata(ctx: CoreContext, doc: MetadataDocument, adopted = false, touched?: ReadonlySet<string>): void {
  // The store names the topics a committed change touched: only those can differ, so a
  // create costs the same with 10 topics or 100,000.
  if (touched !== undefined) {
    for (const name of touched) applyTopic(ctx, doc, name, adopted);
    return;
  }
  for (const name of ctx.catalog.entries().map(([name]) => name)) applyTopic(ctx, doc, name, adopted);
  for (const meta of doc.topics.values()) if (!ctx.catalog.has(meta.name)) ctx.catalog.add(meta);
}

function applyTopic(ctx: CoreContext, doc: MetadataDocument, name: string, adopted: boolean): void {
  const meta = doc.topics.get(name);
  const state = ctx.catalog.get(name);
  if (state && (!meta || meta.id !== state.meta.id)) {
    if (adopted && state.partitions.some((ps) => existsSync(ps.dir)))
      ctx.warn(
        `topic "${name}" ${meta ? "was deleted and created again" : "is no longer"} in metadata version ${doc.version}: removing its partitions here`,
      );
    dropTopic(ctx, name, state);
  } else if (state && meta && meta !== state.meta) {
    state.meta = meta;
    for (const ps of state.partitions) ps.assignment = meta.partitions[ps.partition];
    if (meta.partitions.length > state.partitions.length) ctx.catalog.grow(state);
    return;
  }
  if (meta && !ctx.catalog.has(name)) ctx.catalog.add(meta);
}

function dropTopic(ctx: CoreContext, name: string, state: TopicState): void {
  ctx.catalog.remove(name);
  state.lifetime.abort();
  ctx.metrics.forgetTopic(name);
  for (const ps of state.partitions) ctx.logs.delete(ps);
}

/**
 * Partition folders that metadata no longer knows (a topic deleted just before a
 * crash) are removed on start, so a topic created again under that name starts
 * empty. Only folders that look like partition logs are touched.
 */
export function removeOrphanPartitions(ctx: CoreContext): void {
  const dataDir = ctx.config.dataDir;
  let entries: string[];
  try {
    entries = readdirSync(dataDir);
  } catch {
    return;
  }
  const wanted = new Set<string>();
  for (const state of ctx.catalog.states()) for (const ps of state.partitions) wanted.add(ps.dir);
  const orphans: string[] = [];
  for (const entry of entries) {
    const match = /^(.+)-(\d+)$/.exec(entry);
    if (!match || topicNameProblem(match[1]) !== undefined) continue;
    const dir = join(dataDir, entry);
    if (wanted.has(dir)) continue;
    try {
      if (!statSync(dir).isDirectory() || !readdirSync(dir).every((f) => /\.log$|^index\.sqlite/.test(f))) continue;
    } catch {
      continue;
    }
    orphans.push(dir);
  }
  // No metadata at all (meta/ lost or deleted, not a topic deleted): these folders may be
  // every record the broker holds, so they are kept for their topics to be created again.
  if (ctx.metadata.version === 0) {
    if (orphans.length > 0)
      ctx.warn(`no metadata names the partition folders ${orphans.join(", ")}: kept; create their topics again to serve them, or delete the folders`);
    return;
  }
  for (const dir of orphans) {
    ctx.warn(`removing ${dir}: its topic is no longer in the metadata`);
    rmSync(dir, { recursive: true, force: true });
  }
}
