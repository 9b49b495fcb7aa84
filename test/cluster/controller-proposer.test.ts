import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MetadataChange } from "../../src/broker/metadata.ts";
import { MetadataStore } from "../../src/broker/metadata-store.ts";
import { applyToStore, type ChangeOutcome, ControllerProposer } from "../../src/cluster/controller-proposer.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function store(name: string): MetadataStore {
  const dir = mkdtempSync(join(tmpdir(), `streamnest-controller-${name}-`));
  dirs.push(dir);
  return MetadataStore.open(dir, [{ id: 1, address: "a:1" }]);
}

const create: MetadataChange = {
  type: "create-topic",
  topic: "t",
  topicId: "id-1",
  partitions: [{ partition: 0, replicas: [1], leader: 1, leaderEpoch: 0 }],
  createdAt: 1,
};

describe("applyToStore (the controller's side)", () => {
  test("answers changed and the new version, and nothing changed for a repeat", () => {
    const controller = store("c");
    const before = controller.version;
    expect(applyToStore(controller, create)).toEqual({ changed: true, version: before + 1 });
    expect(applyToStore(controller, create)).toEqual({ changed: false, version: before + 1 });
  });
});

describe("ControllerProposer", () => {
  test("sends the change to the controller and answers with this broker's own document", async () => {
    const controller = store("c");
    const local = store("l");
    const submitted: MetadataChange[] = [];
    // The controller applies it, and (what metadata sync does) this broker's store receives it too.
    const proposer = new ControllerProposer(local, {
      async submit(change): Promise<ChangeOutcome> {
        submitted.push(change);
        const outcome = applyToStore(controller, change);
        local.apply(change);
        return outcome;
      },
    });
    const result = await proposer.propose(create);
    expect(submitted).toEqual([create]);
    expect(result.changed).toBe(true);
    expect(result.document).toBe(local.current);
    expect(result.document.topics.get("t")?.partitions).toEqual(create.partitions);
    expect((await proposer.propose(create)).changed).toBe(false);
  });

  test("a controller's refusal reaches the caller", async () => {
    const proposer = new ControllerProposer(store("l"), {
      async submit() {
        throw new Error("no controller");
      },
    });
    await expect(proposer.propose(create)).rejects.toThrow("no controller");
  });
});
