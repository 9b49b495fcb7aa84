/**
 * The replicated state machine of the simulation: a running hash over every applied
 * entry, so that two nodes agree on the applied state at an offset exactly when they
 * applied the same entries in the same order. Its snapshot is that hash and offset.
 */
import type { Entry } from "../../../src/cluster/quorum/types.ts";

export class HashStateMachine {
  hash = 0x811c9dc5;
  applied = 0;

  apply(entry: Entry): void {
    let h = this.hash;
    h = mix(h, entry.offset);
    h = mix(h, entry.epoch);
    for (const byte of entry.payload) h = mix(h, byte);
    this.hash = h;
    this.applied = entry.offset + 1;
  }

  encode(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({ hash: this.hash, applied: this.applied }));
  }

  static decode(bytes: Uint8Array): HashStateMachine {
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { hash: number; applied: number };
    const machine = new HashStateMachine();
    machine.hash = doc.hash;
    machine.applied = doc.applied;
    return machine;
  }
}

function mix(h: number, value: number): number {
  return Math.imul(h ^ (value & 0xff) ^ (value >>> 8), 0x01000193) >>> 0;
}
