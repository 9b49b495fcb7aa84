/**
 * The partition dropdown's options. A link may name a partition the topic lacks
 * (`?partition=5` on a 2-partition topic): a <select> whose value matches no option
 * shows its first one, so the page named partition 0 above an error about partition 5.
 * The asked-for partition is listed too, marked missing, so both say the same.
 */

export interface PartitionOption {
  value: number;
  label: string;
}

export function partitionOptions(partitions: readonly number[], selected: number): PartitionOption[] {
  const options = partitions.map((p) => ({ value: p, label: String(p) }));
  if (!partitions.includes(selected)) {
    options.push({ value: selected, label: `${selected} (no such partition)` });
    options.sort((a, b) => a.value - b.value);
  }
  return options;
}
